package io.editdb.model;

import java.util.List;

/**
 * The kinds of question the scenes ask, each with its paraphrases split into the phrasings used for
 * training and the held-out phrasings used to measure generality. Held-out phrasings reuse words
 * that training phrasings contain (a test checks this), so that a host model knows every word of
 * them without ever having seen the sentence.
 *
 * <p>Placeholders: {@code {shape}}, {@code {colour}}, {@code {country}}, {@code {a}}, {@code {b}}.
 */
public enum QuestionType {
  /** Which entity a logo is. */
  ENTITY_NAME(
      Kind.ENTITY,
      List.of(
          "which company is this",
          "what is the name of this company",
          "what brand does this logo belong to",
          "name the company shown in the picture"),
      List.of("what company does this logo belong to", "what is the name of this brand")),
  ENTITY_COUNTRY(
      Kind.ENTITY,
      List.of(
          "which country is this company from",
          "where does this company come from",
          "what country does this brand come from",
          "in which country was this company founded"),
      List.of("which country does this company come from", "this brand is from which country")),
  ENTITY_DECADE(
      Kind.ENTITY,
      List.of(
          "when was this company founded",
          "in which decade was this company founded",
          "what decade was this brand founded in"),
      List.of("which decade was this brand founded in", "when was this brand founded")),
  ENTITY_PRODUCT(
      Kind.ENTITY,
      List.of(
          "what does this company make",
          "what product does this brand sell",
          "what does this company sell",
          "which product is this brand known for"),
      List.of("what product does this company make", "which product does this brand make")),
  /** The outline of an entity's logo: direct evidence of the trait that two facts depend on. */
  LOGO_SHAPE(
      Kind.ENTITY,
      List.of(
          "what shape is this logo",
          "which shape does this logo have",
          "what is the shape of this logo"),
      List.of("what shape does this logo have", "the logo is which shape")),
  COUNT(
      Kind.OBJECTS,
      List.of(
          "how many objects are there",
          "how many shapes are in the picture",
          "count the objects in the image"),
      List.of("how many shapes are there", "count the shapes in the picture")),
  COLOUR_OF_SHAPE(
      Kind.OBJECTS,
      List.of(
          "what colour is the {shape}",
          "which colour does the {shape} have",
          "what is the colour of the {shape} in the picture"),
      List.of("what colour is the {shape} in the image", "the {shape} is which colour")),
  SHAPE_OF_COLOUR(
      Kind.OBJECTS,
      List.of(
          "what shape is the {colour} object",
          "which shape is {colour}",
          "what is the shape of the {colour} object"),
      List.of(
          "what shape is the {colour} object in the picture",
          "the {colour} object is which shape")),
  SIZE_OF_COLOUR(
      Kind.OBJECTS,
      List.of(
          "what size is the {colour} object",
          "is the {colour} object small or large",
          "how big is the {colour} shape"),
      List.of("what is the size of the {colour} object", "how big is the {colour} object")),
  SIDE_OF_COLOUR(
      Kind.OBJECTS,
      List.of(
          "is the {colour} object on the left or the right",
          "which side is the {colour} object on",
          "on which side of the picture is the {colour} shape"),
      List.of(
          "on which side is the {colour} object",
          "is the {colour} shape on the left or the right")),
  CAPITAL(
      Kind.TEXT,
      List.of(
          "what is the capital of {country}",
          "which city is the capital of {country}",
          "name the capital city of {country}"),
      List.of("the capital of {country} is which city", "what city is the capital of {country}")),
  CONTINENT(
      Kind.TEXT,
      List.of(
          "which continent is {country} in",
          "on what continent is {country}",
          "in which continent is {country} found"),
      List.of("what continent is {country} in", "{country} is on which continent")),
  COLOUR_MIX(
      Kind.TEXT,
      List.of(
          "what colour do you get by mixing {a} and {b}",
          "mixing {a} and {b} gives which colour",
          "what colour do you get by adding {a} to {b}"),
      List.of(
          "which colour do you get by mixing {a} and {b}", "mixing {a} and {b} gives what colour")),
  SUM(
      Kind.TEXT,
      List.of("what is {a} plus {b}", "how much is {a} plus {b}", "add {a} and {b}"),
      List.of("what do you get by adding {a} and {b}", "{a} plus {b} is how much"));

  /** What a question is about: a drawn entity, a scene of objects, or no image at all. */
  public enum Kind {
    ENTITY,
    OBJECTS,
    TEXT
  }

  private final Kind kind;
  private final List<String> train;
  private final List<String> heldOut;

  QuestionType(Kind kind, List<String> train, List<String> heldOut) {
    this.kind = kind;
    this.train = train;
    this.heldOut = heldOut;
  }

  public Kind kind() {
    return kind;
  }

  /** The templates of one phrasing set; the two sets share no template. */
  public List<String> templates(Phrasing phrasing) {
    return phrasing == Phrasing.TRAIN ? train : heldOut;
  }
}
