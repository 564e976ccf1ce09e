package io.editdb.bench.crash;

import io.editdb.cli.DirTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Damage done to a store's Lucene index between runs ({@code <store>/index}, see EditStore): the
 * index is derived from H2, so whatever happens to it the store must open, rebuild or catch up, and
 * route exactly what H2 says is active.
 */
enum IndexDamage {
  /** The whole index directory is gone. */
  DELETE_ALL,
  /** Some index files (of any kind) are gone. */
  DELETE_SOME,
  /** Every commit point (segments_N) is gone; the segment files stay, unreferenced. */
  DELETE_COMMITS,
  /** One file cut short. */
  TRUNCATE,
  /** A few bytes of one file flipped in place (the size stays). */
  CORRUPT,
  /** A newer commit point full of garbage, which Lucene tries first. */
  GARBAGE_COMMIT;

  /** Applies this damage; returns what was done, for the report, or null if there was nothing. */
  String apply(Path index, Random r) {
    try {
      List<Path> files = files(index);
      if (files.isEmpty()) {
        return null;
      }
      switch (this) {
        case DELETE_ALL -> {
          DirTrees.delete(index);
          return name();
        }
        case DELETE_SOME -> {
          Collections.shuffle(files, r);
          List<Path> gone = files.subList(0, 1 + r.nextInt(Math.max(1, files.size() / 2)));
          for (Path p : gone) {
            Files.delete(p);
          }
          return name() + " " + names(gone);
        }
        case DELETE_COMMITS -> {
          List<Path> commits = files.stream().filter(IndexDamage::isCommit).toList();
          for (Path p : commits) {
            Files.delete(p);
          }
          return name() + " " + names(commits);
        }
        case TRUNCATE -> {
          List<Path> nonEmpty = nonEmpty(files);
          if (nonEmpty.isEmpty()) {
            return null;
          }
          Path p = nonEmpty.get(r.nextInt(nonEmpty.size()));
          long size = Files.size(p);
          long to = r.nextLong(size);
          try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(to);
          }
          return name() + " " + p.getFileName() + " " + size + " -> " + to + " bytes";
        }
        case CORRUPT -> {
          List<Path> nonEmpty = nonEmpty(files);
          if (nonEmpty.isEmpty()) {
            return null;
          }
          Path p = nonEmpty.get(r.nextInt(nonEmpty.size()));
          long size = Files.size(p);
          int flips = 1 + r.nextInt(8);
          try (FileChannel ch =
              FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int i = 0; i < flips; i++) {
              long at = r.nextLong(size);
              ByteBuffer b = ByteBuffer.allocate(1);
              ch.read(b, at);
              b.put(0, (byte) (b.get(0) ^ (1 + r.nextInt(255))));
              b.rewind();
              ch.write(b, at);
            }
          }
          return name() + " " + p.getFileName() + " (" + flips + " bytes of " + size + ")";
        }
        case GARBAGE_COMMIT -> {
          long gen = 0;
          for (Path p : files) {
            if (isCommit(p)) {
              gen =
                  Math.max(
                      gen, SegmentInfos.generationFromSegmentsFileName(p.getFileName().toString()));
            }
          }
          byte[] junk = new byte[64 + r.nextInt(512)];
          r.nextBytes(junk);
          String name = "segments_" + Long.toString(gen + 1, Character.MAX_RADIX);
          Files.write(index.resolve(name), junk);
          return name() + " " + name;
        }
        default -> throw new AssertionError(this);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("damaging " + index, e);
    }
  }

  private static List<Path> nonEmpty(List<Path> files) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path p : files) {
      if (Files.size(p) > 0) {
        out.add(p);
      }
    }
    return out;
  }

  private static boolean isCommit(Path p) {
    return p.getFileName().toString().startsWith("segments_");
  }

  private static List<Path> files(Path index) throws IOException {
    if (!Files.isDirectory(index)) {
      return new ArrayList<>();
    }
    try (Stream<Path> s = Files.list(index)) {
      // write.lock is an OS lock, not data: damaging it tests nothing.
      return new ArrayList<>(
          s.filter(p -> !p.getFileName().toString().equals("write.lock"))
              .sorted(Comparator.comparing(Path::toString))
              .toList());
    }
  }

  private static List<String> names(List<Path> ps) {
    return ps.stream().map(p -> p.getFileName().toString()).toList();
  }

  /**
   * The index's newest durable commit as a string (generation, Lucene version, EditDB watermark,
   * file time), "missing" or "unreadable". The store commits its index during open only when it
   * rebuilds it, so a change across an open means a rebuild.
   */
  static String commitState(Path index) {
    if (!Files.isDirectory(index)) {
      return "missing";
    }
    try (Directory d = FSDirectory.open(index)) {
      SegmentInfos infos = SegmentInfos.readLatestCommit(d);
      return "gen="
          + infos.getGeneration()
          + " version="
          + infos.getVersion()
          + " data="
          + infos.getUserData()
          + " time="
          + Files.getLastModifiedTime(index.resolve(infos.getSegmentsFileName())).toMillis();
    } catch (IOException | RuntimeException e) {
      return "unreadable";
    }
  }
}
