package io.editdb.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The host weights file, format 1. Big-endian, as {@link DataOutputStream} writes:
 *
 * <pre>
 * bytes   "EDBHOST\n"                       magic (8 bytes)
 * int32   1                                 format version
 * int32   hidden, layers, heads, mlp, questionTokens
 * UTF     data version (Scenes.DATA_VERSION the model was trained on)
 * int32   word count, then each word as UTF   (token id = position + 1; 0 pads)
 * int32   answer count, then each answer as UTF (logit index = position)
 * int32   tensor count, then per tensor:
 *           UTF name, int32 rank, int32 dims[rank], float32 values[prod(dims)] little-endian
 * int64   CRC-32 of every byte before it
 * </pre>
 *
 * Tensor values are little-endian so that a whole tensor is one bulk copy.
 */
final class HostWeights {
  static final int FORMAT = 1;
  private static final byte[] MAGIC = "EDBHOST\n".getBytes(StandardCharsets.US_ASCII);

  record Tensor(long[] shape, float[] values) {}

  record Contents(
      HostConfig config,
      String dataVersion,
      List<String> words,
      List<String> answers,
      Map<String, Tensor> tensors) {}

  private HostWeights() {}

  static void write(OutputStream out, Contents c) throws IOException {
    CRC32 crc = new CRC32();
    DataOutputStream d = new DataOutputStream(new CheckedOutputStream(out, crc));
    d.write(MAGIC);
    d.writeInt(FORMAT);
    HostConfig k = c.config();
    for (int v : new int[] {k.hidden(), k.layers(), k.heads(), k.mlp(), k.questionTokens()}) {
      d.writeInt(v);
    }
    d.writeUTF(c.dataVersion());
    writeStrings(d, c.words());
    writeStrings(d, c.answers());
    d.writeInt(c.tensors().size());
    for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
      d.writeUTF(e.getKey());
      long[] shape = e.getValue().shape();
      d.writeInt(shape.length);
      for (long s : shape) {
        d.writeInt(Math.toIntExact(s));
      }
      float[] v = e.getValue().values();
      ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(v);
      d.write(b.array());
    }
    d.flush();
    new DataOutputStream(out).writeLong(crc.getValue());
    out.flush();
  }

  static Contents read(InputStream in) throws IOException {
    CRC32 crc = new CRC32();
    DataInputStream d = new DataInputStream(new CheckedInputStream(in, crc));
    byte[] magic = new byte[MAGIC.length];
    d.readFully(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IllegalArgumentException(
          "a host weights file starts with EDBHOST; got other bytes; pass a file SceneHost.save"
              + " or HostTrainer wrote");
    }
    int format = d.readInt();
    if (format != FORMAT) {
      throw new IllegalArgumentException(
          "host weights format must be "
              + FORMAT
              + "; got "
              + format
              + "; retrain with this version of EditDB (editdb host train)");
    }
    HostConfig config =
        new HostConfig(d.readInt(), d.readInt(), d.readInt(), d.readInt(), d.readInt());
    String dataVersion = d.readUTF();
    List<String> words = readStrings(d);
    List<String> answers = readStrings(d);
    int n = d.readInt();
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String name = d.readUTF();
      long[] shape = new long[d.readInt()];
      long count = 1;
      for (int j = 0; j < shape.length; j++) {
        shape[j] = d.readInt();
        count *= shape[j];
      }
      byte[] raw = new byte[Math.toIntExact(4 * count)];
      d.readFully(raw);
      float[] v = new float[(int) count];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      tensors.put(name, new Tensor(shape, v));
    }
    long expected = crc.getValue();
    long stored = new DataInputStream(in).readLong();
    if (stored != expected) {
      throw new IllegalArgumentException(
          "host weights checksum mismatch: stored "
              + Long.toHexString(stored)
              + ", computed "
              + Long.toHexString(expected)
              + "; the file is damaged, restore it from git");
    }
    return new Contents(config, dataVersion, words, answers, tensors);
  }

  private static void writeStrings(DataOutputStream d, List<String> list) throws IOException {
    d.writeInt(list.size());
    for (String s : list) {
      d.writeUTF(s);
    }
  }

  private static List<String> readStrings(DataInputStream d) throws IOException {
    int n = d.readInt();
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(d.readUTF());
    }
    return List.copyOf(out);
  }
}
