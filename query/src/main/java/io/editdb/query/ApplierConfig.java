package io.editdb.query;

import java.util.Locale;

/**
 * Configuration of one {@link ExpertApplier}: how many bytes of expert tensors it keeps on the
 * device, and which device. Immutable; every value is validated where it is set.
 *
 * <pre>{@code
 * ApplierConfig cfg = ApplierConfig.cacheBytes(512L << 20);      // 512 MiB, GPU if present
 * ApplierConfig cpu = ApplierConfig.defaults().optDevice("cpu"); // force the CPU
 * }</pre>
 */
public final class ApplierConfig {
  /** 256 MiB: about 500 rank-16 experts of a 4096-wide layer. */
  public static final long DEFAULT_CACHE_BYTES = 256L << 20;

  /** The DJL engine every tensor goes through. */
  public static final String ENGINE = "PyTorch";

  /**
   * How a call lays out one kind of expert for its two matrix products. {@code PER_QUERY}: each
   * query's own experts stacked, one batched product per query; the work follows the experts
   * routed, but every routed expert is copied, once per query that routed it. {@code SHARED}: each
   * distinct expert once, and every query multiplied by all of them (a zero gate where it did not
   * route one); little copying, more arithmetic. {@code AUTO} (the default) estimates both per
   * call: shared wins when the queries of a batch share experts and few tokens are edited.
   */
  public enum Layout {
    AUTO,
    PER_QUERY,
    SHARED
  }

  private final long cacheBytes;
  private final String device;
  private final Layout layout;

  private ApplierConfig(long cacheBytes, String device, Layout layout) {
    this.cacheBytes = cacheBytes;
    this.device = device;
    this.layout = layout;
  }

  /** {@value #DEFAULT_CACHE_BYTES} bytes of cache, device and layout chosen automatically. */
  public static ApplierConfig defaults() {
    return new ApplierConfig(DEFAULT_CACHE_BYTES, "auto", Layout.AUTO);
  }

  /**
   * A configuration whose expert cache holds at most {@code bytes} bytes of f32 tensors (an expert
   * of rank r on a d-wide layer takes 8 r d bytes). An expert larger than the whole cache is still
   * applied, just not kept.
   */
  public static ApplierConfig cacheBytes(long bytes) {
    return defaults().optCacheBytes(bytes);
  }

  /** Bytes of expert tensors kept on the device between calls; at least 1. */
  public ApplierConfig optCacheBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException(
          "expert cache size must be at least 1 byte; cacheBytes="
              + bytes
              + "; pass a positive size such as "
              + DEFAULT_CACHE_BYTES);
    }
    return new ApplierConfig(bytes, device, layout);
  }

  /**
   * The device: {@code auto} (a GPU when the PyTorch engine reports one, else the CPU), {@code
   * cpu}, {@code gpu} or {@code gpu:N}.
   */
  public ApplierConfig optDevice(String device) {
    String d = device == null ? "" : device.trim().toLowerCase(Locale.ROOT);
    if (!d.matches("auto|cpu|gpu|gpu:\\d{1,3}")) {
      throw new IllegalArgumentException(
          "device must be auto, cpu, gpu or gpu:N; device="
              + device
              + "; use auto to pick a GPU when there is one");
    }
    return new ApplierConfig(cacheBytes, d, layout);
  }

  /** The expert layout; {@link Layout#AUTO} unless a benchmark or test forces one. */
  public ApplierConfig optLayout(Layout layout) {
    if (layout == null) {
      throw new IllegalArgumentException(
          "layout must be AUTO, PER_QUERY or SHARED; layout=null; use AUTO to choose per call");
    }
    return new ApplierConfig(cacheBytes, device, layout);
  }

  public long cacheBytes() {
    return cacheBytes;
  }

  /** The device as configured ({@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}). */
  public String device() {
    return device;
  }

  public Layout layout() {
    return layout;
  }

  @Override
  public String toString() {
    return "ApplierConfig{engine="
        + ENGINE
        + ", device="
        + device
        + ", cacheBytes="
        + cacheBytes
        + ", layout="
        + layout
        + "}";
  }
}
