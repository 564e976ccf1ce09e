package io.editdb.model;

/**
 * One procedural entity: a company with a made-up name, three facts, and a logo whose look is fixed
 * (outline shape, hue, inner mark and its tone) while each drawing varies pose, scale, colour,
 * background and noise. The facts come from arbitrary tables over two traits each (country: outline
 * and mark; decade: hue and tone; product: outline and hue), so look-alike entities share facts;
 * the name is unique.
 *
 * @param id index in {@link Scenes#entities()}
 * @param name lower-case made-up name, also its answer to "which company is this"
 * @param country answer to "which country is this company from"
 * @param decade answer to "when was this company founded", e.g. {@code 1950s}
 * @param product answer to "what does this company make"
 */
public record Entity(
    int id,
    String name,
    String country,
    String decade,
    String product,
    int logoShape,
    int hueIndex,
    int mark,
    boolean lightMark) {}
