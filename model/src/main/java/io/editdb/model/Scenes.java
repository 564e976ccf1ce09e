package io.editdb.model;

import io.editdb.model.QuestionType.Kind;
import io.editdb.model.SceneGenerator.ObjectSpec;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Drawn scenes and the questions asked about them: the data EditDB's own host model is trained on
 * and edits are measured with. Deterministic: a (seed, split, index, variant) always gives the same
 * pixels, question and answer.
 *
 * <p>Three kinds of sample: an entity's logo ({@value #ENTITY_COUNT} made-up companies, each with a
 * name, country, founding decade and product), a scene of one to four objects (shape, colour, size,
 * side; questions about count, colour, shape, size and side), and text-only questions with no image
 * (capitals, continents, colour mixing, small sums), which an edit of the visual layer must leave
 * alone. Every question type has training phrasings and held-out phrasings ({@link Phrasing}); an
 * image rephrase is {@link #redraw} of the same content with a new pose, scale, colour jitter,
 * background and noise.
 *
 * <pre>{@code
 * Scenes scenes = Scenes.standard();
 * Sample s = scenes.sample(Split.TEST, 7);                 // train phrasing, original drawing
 * Sample again = scenes.redraw(s, 1);                      // same entity or scene, new pixels
 * Sample para = scenes.rephrase(s, Phrasing.HELD_OUT, 0);  // same question, held-out words
 * int label = scenes.answerId(s.answer());
 * }</pre>
 */
public final class Scenes {
  /** Changes whenever the same (seed, split, index) would draw or ask something else. */
  public static final String DATA_VERSION = "scenes-v2";

  public static final long DEFAULT_SEED = 14;
  public static final int IMAGE_SIZE = 32;
  public static final int ENTITY_COUNT = 300;

  static final String[] COUNTRIES = {
    "france", "japan", "brazil", "canada", "egypt", "india",
    "norway", "mexico", "kenya", "italy", "chile", "korea"
  };
  static final String[] CAPITALS = {
    "paris", "tokyo", "brasilia", "ottawa", "cairo", "delhi",
    "oslo", "mexico city", "nairobi", "rome", "santiago", "seoul"
  };
  static final String[] CONTINENTS = {
    "europe", "asia", "south america", "north america", "africa", "asia",
    "europe", "north america", "africa", "europe", "south america", "asia"
  };
  static final String[] DECADES = {
    "1900s", "1910s", "1920s", "1930s", "1940s", "1950s", "1960s", "1970s", "1980s", "1990s"
  };
  static final String[] PRODUCTS = {
    "bicycles", "coffee", "shoes", "phones", "cars", "toys",
    "books", "cameras", "watches", "tea", "software", "furniture"
  };
  static final String[] NUMBERS = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight"
  };
  private static final String[][] MIXES = {
    {"red", "yellow", "orange"}, {"blue", "yellow", "green"}, {"red", "blue", "purple"}
  };
  private static final String[] SIDES = {"left", "right"};
  private static final String[] SYLLABLES = {
    "ve", "lo", "ra", "ka", "mi", "to", "zen", "dor", "qua", "ri", "sa", "nu", "bel", "tor",
    "fi", "ga", "lu", "mar", "no", "pex", "sol", "tri", "vi", "xa", "yo", "zu", "kor", "li"
  };
  private static final QuestionType[] ENTITY_TYPES = {
    QuestionType.ENTITY_NAME,
    QuestionType.ENTITY_COUNTRY,
    QuestionType.ENTITY_DECADE,
    QuestionType.ENTITY_PRODUCT,
    QuestionType.LOGO_SHAPE
  };
  private static final QuestionType[] OBJECT_TYPES = {
    QuestionType.COUNT,
    QuestionType.COLOUR_OF_SHAPE,
    QuestionType.SHAPE_OF_COLOUR,
    QuestionType.SIZE_OF_COLOUR,
    QuestionType.SIDE_OF_COLOUR
  };
  private static final QuestionType[] TEXT_TYPES = {
    QuestionType.CAPITAL, QuestionType.CONTINENT, QuestionType.COLOUR_MIX, QuestionType.SUM
  };

  private static final Scenes STANDARD = new Scenes(DEFAULT_SEED);

  private final long seed;
  private final List<Entity> entities;
  private final List<String> answers;
  private final Map<String, Integer> answerIds = new HashMap<>();
  private final List<String> words;
  private final SceneGenerator generator = new SceneGenerator(IMAGE_SIZE);

  private Scenes(long seed) {
    this.seed = seed;
    this.entities = makeEntities(seed);
    List<String> a = new ArrayList<>();
    entities.forEach(e -> a.add(e.name()));
    a.addAll(Arrays.asList(COUNTRIES));
    a.addAll(Arrays.asList(DECADES));
    a.addAll(Arrays.asList(PRODUCTS));
    a.addAll(Arrays.asList(SceneGenerator.OBJECT_COLOURS));
    a.addAll(Arrays.asList(SceneGenerator.OBJECT_SHAPES));
    a.addAll(List.of("diamond", "hexagon", "star")); // logo outlines that are not object shapes
    a.addAll(Arrays.asList(SceneGenerator.SIZES));
    a.addAll(Arrays.asList(SIDES));
    a.addAll(Arrays.asList(NUMBERS));
    a.addAll(Arrays.asList(CAPITALS));
    a.addAll(new LinkedHashSet<>(Arrays.asList(CONTINENTS)));
    for (String s : a) {
      if (answerIds.putIfAbsent(s, answerIds.size()) != null) {
        throw new IllegalStateException("answer listed twice: " + s);
      }
    }
    this.answers = List.copyOf(a);
    this.words = List.copyOf(allWords());
  }

  /** The scenes every shipped artefact was made with (seed {@value #DEFAULT_SEED}). */
  public static Scenes standard() {
    return STANDARD;
  }

  /**
   * Other entities and other drawings; a host trained on the standard scenes will not know them.
   */
  public static Scenes withSeed(long seed) {
    return seed == DEFAULT_SEED ? STANDARD : new Scenes(seed);
  }

  public long seed() {
    return seed;
  }

  public List<Entity> entities() {
    return entities;
  }

  /** The fixed answer vocabulary; a sample's label is its answer's index here. */
  public List<String> answers() {
    return answers;
  }

  /** Every word any template can produce, sorted; what a word tokenizer needs. */
  public List<String> questionWords() {
    return words;
  }

  /**
   * The index of an answer.
   *
   * @throws IllegalArgumentException when the answer is not in the vocabulary
   */
  public int answerId(String answer) {
    Integer id = answer == null ? null : answerIds.get(answer);
    if (id == null) {
      throw new IllegalArgumentException(
          "an answer must be one of the "
              + answers.size()
              + " answers of "
              + DATA_VERSION
              + "; got '"
              + answer
              + "'; pick one from Scenes.answers()");
    }
    return id;
  }

  /**
   * The answers a question of {@code type} can have, in a fixed order: what a counterfactual edit's
   * target is drawn from.
   */
  public List<String> answersOf(QuestionType type) {
    if (type == null) {
      throw new IllegalArgumentException("answersOf needs a question type; got null");
    }
    return switch (type) {
      case ENTITY_NAME -> entities.stream().map(Entity::name).toList();
      case ENTITY_COUNTRY -> List.of(COUNTRIES);
      case ENTITY_DECADE -> List.of(DECADES);
      case ENTITY_PRODUCT -> List.of(PRODUCTS);
      case LOGO_SHAPE -> List.of(SceneGenerator.LOGO_SHAPE_NAMES);
      case COUNT -> List.of(NUMBERS).subList(1, 5);
      case COLOUR_OF_SHAPE -> List.of(SceneGenerator.OBJECT_COLOURS);
      case SHAPE_OF_COLOUR -> List.of(SceneGenerator.OBJECT_SHAPES);
      case SIZE_OF_COLOUR -> List.of(SceneGenerator.SIZES);
      case SIDE_OF_COLOUR -> List.of("left", "right");
      case CAPITAL -> List.of(CAPITALS);
      case CONTINENT -> List.copyOf(new java.util.LinkedHashSet<>(List.of(CONTINENTS)));
      case COLOUR_MIX -> List.of("orange", "green", "purple");
      case SUM -> List.of(NUMBERS);
    };
  }

  /** The training mix (50% entities, 42% object scenes, 8% text-only), training phrasings. */
  public Sample sample(Split split, long index) {
    return build(split, index, null, Phrasing.TRAIN, -1, 0);
  }

  /**
   * A sample of one kind, or of the training mix when {@code kind} is null.
   *
   * @param variant 0 for the original drawing, another value for an image rephrase
   */
  public Sample sample(Split split, long index, Kind kind, Phrasing phrasing, int variant) {
    if (split == null || phrasing == null) {
      throw new IllegalArgumentException(
          "a sample needs a split and a phrasing; got split="
              + split
              + ", phrasing="
              + phrasing
              + "; pass e.g. Split.TEST and Phrasing.TRAIN (kind may be null for the mix)");
    }
    checkIndex(index, variant);
    return build(split, index, kind, phrasing, -1, variant);
  }

  /** The same content and question, drawn again ({@code variant} != the sample's: new pixels). */
  public Sample redraw(Sample s, int variant) {
    checkIndex(s.index(), variant);
    return build(s.split(), s.index(), s.type().kind(), s.phrasing(), templateOf(s), variant);
  }

  /** The same content and drawing, asked with template {@code template} of {@code phrasing}. */
  public Sample rephrase(Sample s, Phrasing phrasing, int template) {
    if (s == null || phrasing == null) {
      throw new IllegalArgumentException(
          "rephrase needs a sample and a phrasing; got sample="
              + s
              + ", phrasing="
              + phrasing
              + "; pass both");
    }
    int n = s.type().templates(phrasing).size();
    if (template < 0 || template >= n) {
      throw new IllegalArgumentException(
          "template must be in [0, "
              + n
              + ") for "
              + s.type()
              + " "
              + phrasing
              + "; template="
              + template
              + "; use an index below QuestionType.templates(phrasing).size()");
    }
    return build(s.split(), s.index(), s.type().kind(), phrasing, template, s.variant());
  }

  private int templateOf(Sample s) {
    Random r = contentRandom(s.split(), s.index());
    r.nextInt(100);
    return r.nextInt(1 << 16) % s.type().templates(s.phrasing()).size();
  }

  private static void checkIndex(long index, int variant) {
    if (index < 0 || variant < 0) {
      throw new IllegalArgumentException(
          "index and variant must be non-negative; index="
              + index
              + ", variant="
              + variant
              + "; count samples and drawings from 0");
    }
  }

  private Random contentRandom(Split split, long index) {
    return new Random(mix(mix(seed, split.ordinal() + 1L), index));
  }

  private Sample build(
      Split split, long index, Kind forced, Phrasing phrasing, int template, int variant) {
    Random r = contentRandom(split, index);
    int roll = r.nextInt(100); // drawn even when the kind is forced, so the rest stays aligned
    int templatePick = r.nextInt(1 << 16);
    Kind kind =
        forced != null ? forced : roll < 50 ? Kind.ENTITY : roll < 92 ? Kind.OBJECTS : Kind.TEXT;
    Random draw =
        new Random(
            mix(mix(seed ^ 0x5EED5EEDL, split.ordinal() + 1L), index * 1_000_003L + variant));
    Map<String, String> slots = new HashMap<>();
    List<DrawnObject> boxes = new ArrayList<>();
    QuestionType type;
    String answer;
    BufferedImage image = null;
    int entityId = -1;
    switch (kind) {
      case ENTITY -> {
        Entity e = entities.get(r.nextInt(entities.size()));
        type = ENTITY_TYPES[r.nextInt(ENTITY_TYPES.length)];
        answer =
            switch (type) {
              case ENTITY_NAME -> e.name();
              case ENTITY_COUNTRY -> e.country();
              case ENTITY_DECADE -> e.decade();
              case LOGO_SHAPE -> SceneGenerator.LOGO_SHAPE_NAMES[e.logoShape()];
              default -> e.product();
            };
        entityId = e.id();
        image = generator.drawEntity(e, draw, boxes);
      }
      case OBJECTS -> {
        type = OBJECT_TYPES[r.nextInt(OBJECT_TYPES.length)];
        List<ObjectSpec> specs = objectContent(type, r);
        ObjectSpec t = specs.get(0);
        slots.put("shape", SceneGenerator.OBJECT_SHAPES[t.shape()]);
        slots.put("colour", SceneGenerator.OBJECT_COLOURS[t.colour()]);
        answer =
            switch (type) {
              case COUNT -> NUMBERS[specs.size()];
              case COLOUR_OF_SHAPE -> SceneGenerator.OBJECT_COLOURS[t.colour()];
              case SHAPE_OF_COLOUR -> SceneGenerator.OBJECT_SHAPES[t.shape()];
              case SIZE_OF_COLOUR -> SceneGenerator.SIZES[t.size()];
              default -> t.left() ? "left" : "right";
            };
        while (image == null) { // a pose without room is drawn again from the same stream
          boxes.clear();
          image = generator.drawObjects(specs, draw, boxes);
        }
      }
      default -> {
        type = TEXT_TYPES[r.nextInt(TEXT_TYPES.length)];
        int c = r.nextInt(COUNTRIES.length);
        slots.put("country", COUNTRIES[c]);
        int a = r.nextInt(5);
        int b = r.nextInt(5);
        String[] m = MIXES[r.nextInt(MIXES.length)];
        boolean swap = r.nextBoolean();
        answer =
            switch (type) {
              case CAPITAL -> CAPITALS[c];
              case CONTINENT -> CONTINENTS[c];
              case COLOUR_MIX -> {
                slots.put("a", swap ? m[1] : m[0]);
                slots.put("b", swap ? m[0] : m[1]);
                yield m[2];
              }
              default -> {
                slots.put("a", NUMBERS[a]);
                slots.put("b", NUMBERS[b]);
                yield NUMBERS[a + b];
              }
            };
      }
    }
    List<String> templates = type.templates(phrasing);
    String question =
        fill(templates.get(template >= 0 ? template : templatePick % templates.size()), slots);
    return new Sample(
        split, index, variant, type, phrasing, question, answer, image, entityId, boxes);
  }

  /**
   * One to four objects with distinct colours; the first is the one asked about, and for a colour
   * question its shape is unique. Objects of a side stack in one column, with room to spare.
   */
  private static List<ObjectSpec> objectContent(QuestionType type, Random r) {
    int n = 1 + r.nextInt(4);
    List<Integer> colours = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5));
    Collections.shuffle(colours, r);
    // Pixels of height left per side (one column fits a side): random placement needs slack.
    int[] room = {25, 25};
    List<ObjectSpec> specs = new ArrayList<>();
    int targetShape = r.nextInt(SceneGenerator.OBJECT_SHAPES.length);
    for (int i = 0; i < n; i++) {
      int shape = targetShape;
      if (i > 0) {
        shape = r.nextInt(SceneGenerator.OBJECT_SHAPES.length);
        if (type == QuestionType.COLOUR_OF_SHAPE && shape == targetShape) {
          shape =
              (shape + 1 + r.nextInt(SceneGenerator.OBJECT_SHAPES.length - 1))
                  % SceneGenerator.OBJECT_SHAPES.length;
        }
      }
      int size = r.nextInt(2);
      int side = r.nextInt(2);
      int cost = SceneGenerator.SIZE_PX[size] + 1;
      if (room[side] < cost) {
        side = 1 - side;
      }
      if (room[side] < cost) { // both sides nearly full: a small one still fits
        size = 0;
        cost = SceneGenerator.SIZE_PX[0] + 1;
        side = room[0] >= room[1] ? 0 : 1;
      }
      room[side] -= cost;
      specs.add(new ObjectSpec(shape, colours.get(i), size, side == 0));
    }
    return specs;
  }

  private static String fill(String template, Map<String, String> slots) {
    String q = template;
    for (Map.Entry<String, String> e : slots.entrySet()) {
      q = q.replace("{" + e.getKey() + "}", e.getValue());
    }
    return q;
  }

  private Set<String> allWords() {
    Set<String> w = new TreeSet<>();
    List<String> fillers = new ArrayList<>();
    fillers.addAll(Arrays.asList(SceneGenerator.OBJECT_SHAPES));
    fillers.addAll(Arrays.asList(SceneGenerator.OBJECT_COLOURS));
    fillers.addAll(Arrays.asList(COUNTRIES));
    fillers.addAll(Arrays.asList(NUMBERS));
    fillers.addAll(List.of("red", "yellow", "blue"));
    for (QuestionType t : QuestionType.values()) {
      for (Phrasing p : Phrasing.values()) {
        for (String tmpl : t.templates(p)) {
          for (String word : tmpl.split(" ")) {
            if (!word.startsWith("{")) {
              w.add(word);
            }
          }
        }
      }
    }
    w.addAll(fillers);
    return w;
  }

  private static List<Entity> makeEntities(long seed) {
    Random r = new Random(mix(seed, 0xE7717EL));
    List<int[]> looks = new ArrayList<>();
    for (int s = 0; s < SceneGenerator.LOGO_SHAPES; s++) {
      for (int h = 0; h < SceneGenerator.HUES; h++) {
        for (int m = 0; m < SceneGenerator.MARKS; m++) {
          for (int light = 0; light < 2; light++) {
            looks.add(new int[] {s, h, m, light});
          }
        }
      }
    }
    Collections.shuffle(looks, r);
    // Facts are arbitrary tables over two of the logo's four traits (country by outline and mark,
    // decade by hue and tone, product by outline and hue): knowledge a small host learns in
    // minutes, shared by the entities of a cell, so that editing one entity's fact must leave its
    // look-alikes alone. The name needs all four traits.
    int[][] country = table(r, SceneGenerator.LOGO_SHAPES, SceneGenerator.MARKS, COUNTRIES.length);
    int[][] decade = table(r, SceneGenerator.HUES, 2, DECADES.length);
    int[][] product = table(r, SceneGenerator.LOGO_SHAPES, SceneGenerator.HUES, PRODUCTS.length);
    Set<String> names = new LinkedHashSet<>();
    List<Entity> out = new ArrayList<>(ENTITY_COUNT);
    for (int i = 0; i < ENTITY_COUNT; i++) {
      String name;
      do {
        StringBuilder b = new StringBuilder();
        for (int k = 2 + r.nextInt(2); k > 0; k--) {
          b.append(SYLLABLES[r.nextInt(SYLLABLES.length)]);
        }
        name = b.toString();
      } while (!names.add(name));
      int[] look = looks.get(i);
      out.add(
          new Entity(
              i,
              name,
              COUNTRIES[country[look[0]][look[2]]],
              DECADES[decade[look[1]][look[3]]],
              PRODUCTS[product[look[0]][look[1]]],
              look[0],
              look[1],
              look[2],
              look[3] == 1));
    }
    return List.copyOf(out);
  }

  /** A rows x cols table of values in [0, n), each value used about equally often. */
  private static int[][] table(Random r, int rows, int cols, int n) {
    List<Integer> cells = new ArrayList<>();
    for (int i = 0; i < rows * cols; i++) {
      cells.add(i % n);
    }
    Collections.shuffle(cells, r);
    int[][] t = new int[rows][cols];
    for (int i = 0; i < rows * cols; i++) {
      t[i / cols][i % cols] = cells.get(i);
    }
    return t;
  }

  @Override
  public String toString() {
    return "Scenes{"
        + DATA_VERSION
        + ", seed="
        + seed
        + ", image="
        + IMAGE_SIZE
        + "x"
        + IMAGE_SIZE
        + ", entities="
        + entities.size()
        + ", answers="
        + answers.size()
        + ", words="
        + words.size()
        + ", mix=50% entity/42% objects/8% text}";
  }

  /** SplitMix64 of a combination, so nearby seeds and indices give unrelated streams. */
  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The image as PNG bytes (lossless: {@link #readPng} gives back the same pixels). */
  public static byte[] png(BufferedImage image) {
    pixels(image); // the same size rule as everywhere else
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("encoding a PNG in memory", e);
    }
  }

  /**
   * A PNG's pixels, for an edit or a question that comes as bytes.
   *
   * @throws IllegalArgumentException when the bytes are not a PNG or the image is not {@value
   *     #IMAGE_SIZE}x{@value #IMAGE_SIZE}
   */
  public static BufferedImage readPng(byte[] png) {
    return PngImages.decode(png, IMAGE_SIZE);
  }

  /** The image as {@code [3, size, size]} floats in [-1, 1], channels R, G, B. */
  public static float[] pixels(BufferedImage image) {
    if (image == null || image.getWidth() != IMAGE_SIZE || image.getHeight() != IMAGE_SIZE) {
      throw new IllegalArgumentException(
          "an image must be "
              + IMAGE_SIZE
              + "x"
              + IMAGE_SIZE
              + " pixels; got "
              + (image == null ? "null" : image.getWidth() + "x" + image.getHeight())
              + "; scale it to "
              + IMAGE_SIZE
              + "x"
              + IMAGE_SIZE
              + " first");
    }
    int n = IMAGE_SIZE * IMAGE_SIZE;
    float[] out = new float[3 * n];
    for (int y = 0; y < IMAGE_SIZE; y++) {
      for (int x = 0; x < IMAGE_SIZE; x++) {
        int rgb = image.getRGB(x, y);
        int p = y * IMAGE_SIZE + x;
        out[p] = ((rgb >> 16) & 255) / 127.5f - 1f;
        out[n + p] = ((rgb >> 8) & 255) / 127.5f - 1f;
        out[2 * n + p] = (rgb & 255) / 127.5f - 1f;
      }
    }
    return out;
  }
}
