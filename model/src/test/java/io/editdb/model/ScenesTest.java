package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.QuestionType.Kind;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScenesTest {
  private final Scenes scenes = Scenes.standard();

  @Test
  void sameSeedSameSamples() {
    Scenes other = Scenes.withSeed(Scenes.DEFAULT_SEED + 1);
    for (int i = 0; i < 50; i++) {
      Sample a = scenes.sample(Split.TRAIN, i);
      Sample b = scenes.sample(Split.TRAIN, i);
      assertEquals(a.question(), b.question());
      assertEquals(a.answer(), b.answer());
      assertEquals(a.objects(), b.objects());
      if (a.hasImage()) {
        assertArrayEquals(Scenes.pixels(a.image()), Scenes.pixels(b.image()));
      }
    }
    assertNotEquals(scenes.entities(), other.entities());
  }

  @Test
  void splitsDrawDifferentScenes() {
    Map<Integer, String> seen = new HashMap<>();
    for (Split split : Split.values()) {
      for (int i = 0; i < 400; i++) {
        Sample s = scenes.sample(split, i, Kind.OBJECTS, Phrasing.TRAIN, 0);
        int hash = Arrays.hashCode(Scenes.pixels(s.image()));
        String before = seen.putIfAbsent(hash, split + "/" + i);
        assertTrue(
            before == null || before.startsWith(split.name()),
            split + "/" + i + " draws the same pixels as " + before);
      }
    }
  }

  @Test
  void phrasingsAreDisjointAndHeldOutOnesNeverTrain() {
    Set<String> heldOut = new HashSet<>();
    Set<String> trainWords = new HashSet<>();
    for (QuestionType t : QuestionType.values()) {
      List<String> train = t.templates(Phrasing.TRAIN);
      List<String> held = t.templates(Phrasing.HELD_OUT);
      assertTrue(train.size() >= 3 && held.size() >= 2, t.name());
      for (String h : held) {
        assertFalse(train.contains(h), t + ": '" + h + "' is in both sets");
      }
    }
    for (int i = 0; i < 3000; i++) {
      Sample s = scenes.sample(Split.TRAIN, i);
      assertEquals(Phrasing.TRAIN, s.phrasing());
      trainWords.addAll(Arrays.asList(s.question().split(" ")));
      for (int k = 0; k < s.type().templates(Phrasing.HELD_OUT).size(); k++) {
        heldOut.add(scenes.rephrase(s, Phrasing.HELD_OUT, k).question());
      }
    }
    for (int i = 0; i < 3000; i++) {
      String q = scenes.sample(Split.TRAIN, i).question();
      assertFalse(heldOut.contains(q), "training question '" + q + "' is a held-out phrasing");
    }
    for (String q : heldOut) { // held-out sentences, but no word a trained host never saw
      for (String w : q.split(" ")) {
        assertTrue(trainWords.contains(w), "held-out word '" + w + "' never appears in training");
      }
    }
  }

  @Test
  void imageRephraseKeepsTheAnswerButNotThePixels() {
    for (Kind kind : EnumSet.of(Kind.ENTITY, Kind.OBJECTS)) {
      for (int i = 0; i < 40; i++) {
        Sample s = scenes.sample(Split.TEST, i, kind, Phrasing.TRAIN, 0);
        Sample again = scenes.redraw(s, 1 + i % 3);
        assertEquals(s.question(), again.question());
        assertEquals(s.answer(), again.answer());
        assertEquals(s.entityId(), again.entityId());
        assertFalse(Arrays.equals(Scenes.pixels(s.image()), Scenes.pixels(again.image())));
      }
    }
  }

  @Test
  void heldOutRephraseAsksTheSameQuestionInOtherWords() {
    for (int i = 0; i < 60; i++) {
      Sample s = scenes.sample(Split.VALIDATION, i);
      Sample p = scenes.rephrase(s, Phrasing.HELD_OUT, i % 2);
      assertEquals(s.answer(), p.answer());
      assertEquals(s.type(), p.type());
      assertNotEquals(s.question(), p.question());
      if (s.hasImage()) {
        assertArrayEquals(Scenes.pixels(s.image()), Scenes.pixels(p.image()));
      }
    }
  }

  @Test
  void everyKindAndAnswerIsInTheVocabulary() {
    Set<QuestionType> types = EnumSet.noneOf(QuestionType.class);
    Set<String> words = new HashSet<>(scenes.questionWords());
    for (int i = 0; i < 2000; i++) {
      Sample s = scenes.sample(Split.TRAIN, i);
      types.add(s.type());
      assertEquals(s.answer(), scenes.answers().get(scenes.answerId(s.answer())));
      assertTrue(words.containsAll(Arrays.asList(s.question().split(" "))), s.question());
      if (s.type().kind() == Kind.TEXT) {
        assertNull(s.image());
        assertTrue(s.objects().isEmpty());
      } else {
        assertEquals(Scenes.IMAGE_SIZE, s.image().getWidth());
      }
    }
    assertEquals(EnumSet.allOf(QuestionType.class), types);
    assertEquals(Scenes.ENTITY_COUNT, scenes.entities().size());
    assertEquals(
        Scenes.ENTITY_COUNT, scenes.entities().stream().map(Entity::name).distinct().count());
  }

  @Test
  void objectBoxesMatchTheQuestion() {
    for (int i = 0; i < 300; i++) {
      Sample s = scenes.sample(Split.TRAIN, i, Kind.OBJECTS, Phrasing.TRAIN, 0);
      Rectangle frame = new Rectangle(0, 0, Scenes.IMAGE_SIZE, Scenes.IMAGE_SIZE);
      for (DrawnObject o : s.objects()) {
        assertTrue(frame.contains(o.box()), o.toString());
        for (DrawnObject p : s.objects()) {
          assertTrue(o == p || !o.box().intersects(p.box()), o + " overlaps " + p);
        }
      }
      if (s.type() == QuestionType.COUNT) {
        assertEquals(Scenes.NUMBERS[s.objects().size()], s.answer());
      }
      if (s.type() == QuestionType.SIDE_OF_COLOUR) {
        DrawnObject target = s.objects().get(0);
        boolean left = target.box().getCenterX() < Scenes.IMAGE_SIZE / 2.0;
        assertEquals(left ? "left" : "right", s.answer());
      }
    }
  }

  @Test
  void pngBytesRoundTripAndOthersAreRefused() {
    Sample s = scenes.sample(Split.TEST, 1, Kind.ENTITY, Phrasing.TRAIN, 0);
    byte[] png = Scenes.png(s.image());
    assertArrayEquals(Scenes.pixels(s.image()), Scenes.pixels(Scenes.readPng(png)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Scenes.readPng(
                    "GIF89a not a png".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertTrue(e.getMessage().contains("PNG"), e.getMessage());
    byte[] truncated = Arrays.copyOf(png, 20);
    assertThrows(IllegalArgumentException.class, () -> Scenes.readPng(truncated));
    assertThrows(IllegalArgumentException.class, () -> Scenes.readPng(null));
    BufferedImage big = new BufferedImage(33, 32, BufferedImage.TYPE_INT_RGB);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(big, "png", out);
    } catch (java.io.IOException ex) {
      throw new AssertionError(ex);
    }
    e = assertThrows(IllegalArgumentException.class, () -> Scenes.readPng(out.toByteArray()));
    assertTrue(e.getMessage().contains("33x32"), e.getMessage());
  }

  @Test
  void toStringShowsTheWholeConfiguration() {
    assertEquals(
        "Scenes{scenes-v2, seed=14, image=32x32, entities=300, answers=377, words="
            + scenes.questionWords().size()
            + ", mix=50% entity/42% objects/8% text}",
        scenes.toString());
  }

  @Test
  void badInputsSayWhatToDo() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> scenes.answerId("banana"));
    assertTrue(e.getMessage().contains("banana"));
    assertThrows(
        IllegalArgumentException.class,
        () -> scenes.sample(Split.TEST, -1, null, Phrasing.TRAIN, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> scenes.sample(Split.TEST, 0, null, Phrasing.TRAIN, -1));
    scenes.sample(Split.TEST, 0, null, Phrasing.TRAIN, 0); // the first index and drawing
    assertThrows(
        IllegalArgumentException.class, () -> scenes.sample(null, 0, null, Phrasing.TRAIN, 0));
    assertThrows(IllegalArgumentException.class, () -> scenes.sample(Split.TEST, 0, null, null, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> Scenes.pixels(new BufferedImage(31, 32, BufferedImage.TYPE_INT_RGB)));
    Sample s = scenes.sample(Split.TEST, 3);
    assertThrows(IllegalArgumentException.class, () -> scenes.rephrase(s, Phrasing.HELD_OUT, 2));
    assertThrows(IllegalArgumentException.class, () -> scenes.rephrase(s, Phrasing.HELD_OUT, -1));
    assertEquals(s.answer(), scenes.rephrase(s, Phrasing.HELD_OUT, 1).answer()); // last template
    assertThrows(IllegalArgumentException.class, () -> scenes.rephrase(s, null, 0));
  }
}
