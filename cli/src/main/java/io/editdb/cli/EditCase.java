package io.editdb.cli;

/**
 * One record of an E-VQA / E-IC file (format: docs/formats.md): the edit ({@code src} about {@code
 * image}, new answer {@code alt}) and its probes: {@code rephrase} (text generality), {@code
 * imageRephrase} (visual generality), {@code loc} (text locality), {@code mLoc} with {@code mLocQ}
 * (multimodal locality).
 */
public record EditCase(
    int index,
    String src,
    String rephrase,
    String alt,
    String image,
    String imageRephrase,
    String loc,
    String mLoc,
    String mLocQ) {}
