package io.editdb.query;

import io.editdb.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The {@link HostBinding}s on the class path, found once with {@link ServiceLoader}.
 *
 * <pre>{@code
 * HostBinding.Host host = HostBindings.find("editdb-scenes-v2");
 * int d = host.hiddenSize();
 * }</pre>
 */
public final class HostBindings {
  private static volatile List<HostBinding> bindings;

  private HostBindings() {}

  /** Every binding on the class path, in service-loader order. */
  public static List<HostBinding> all() {
    List<HostBinding> b = bindings;
    if (b == null) {
      synchronized (HostBindings.class) {
        b = bindings;
        if (b == null) {
          List<HostBinding> found = new ArrayList<>();
          ServiceLoader.load(HostBinding.class, HostBindings.class.getClassLoader())
              .forEach(found::add);
          b = List.copyOf(found);
          bindings = b;
        }
      }
    }
    return b;
  }

  /**
   * The host of that name.
   *
   * @throws StoreException NO_HOST when no binding serves the name, or one does but cannot open it
   */
  public static HostBinding.Host find(String name) {
    List<String> known = new ArrayList<>();
    for (HostBinding b : all()) {
      HostBinding.Host h;
      try {
        h = b.open(name);
      } catch (IllegalStateException e) {
        throw new StoreException(StoreException.Kind.NO_HOST, e.getMessage(), e);
      }
      if (h != null) {
        return h;
      }
      known.addAll(b.hosts());
    }
    throw new StoreException(
        StoreException.Kind.NO_HOST,
        "host '"
            + name
            + "' is not served by any host binding on the class path; hosts served: "
            + known
            + (all().isEmpty()
                ? "; no binding is installed: put module editdb-model (or your own"
                    + " io.editdb.query.HostBinding) on the class path"
                : "; name one of them"));
  }

  /**
   * A host's refusal of its caller's input as the typed refusal. {@link HostBinding.Host} documents
   * IllegalArgumentException as its answer to an image, question, answer or prompt it cannot read,
   * so a caller of a host converts that, at the call, here; no other IllegalArgumentException is
   * taken for the user's bad value.
   */
  public static StoreException refused(IllegalArgumentException e) {
    return new StoreException(StoreException.Kind.INVALID_VALUE, e.getMessage(), e);
  }
}
