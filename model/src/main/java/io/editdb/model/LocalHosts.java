package io.editdb.model;

import io.editdb.query.HostBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link HostBinding} of module {@code editdb-model} (listed in {@code
 * META-INF/services/io.editdb.query.HostBinding}): it serves EditDB's own scene host under {@link
 * #SHIPPED} (weights from the class path, loaded on first use), and any {@link HostModel}
 * registered in this JVM, such as a user's model split at a layer:
 *
 * <pre>{@code
 * LocalHosts.register("my-host", myHost, 224, FitExpertMaker.Options.defaults());
 * // then, in SQL:
 * // CREATE LAYER mine (HOST 'my-host', MODULE 'layers.21', MAKER FIT)
 * }</pre>
 *
 * A registered host stays open until {@link #unregister}; its owner closes it after that.
 */
public final class LocalHosts implements HostBinding {
  /** The name the shipped scene host is served under. */
  public static final String SHIPPED = "editdb-" + Scenes.DATA_VERSION;

  private static final Map<String, HostEditing> HOSTS = new ConcurrentHashMap<>();
  private static final Object LOAD_LOCK = new Object();

  /** For {@link java.util.ServiceLoader}; the hosts served are static. */
  public LocalHosts() {}

  /**
   * Serves {@code host} under {@code name}, replacing a host of that name.
   *
   * @param imageSize width and height of the images the host reads
   * @param fit how the FIT maker fits experts for it (kind and rank follow each layer)
   */
  public static void register(
      String name, HostModel host, int imageSize, FitExpertMaker.Options fit) {
    if (name == null || name.isBlank() || host == null || fit == null || imageSize < 1) {
      throw new IllegalArgumentException(
          "registering a host needs a name, the host, an image"
              + " size >= 1 and fit options; got name="
              + name
              + ", host="
              + host
              + ", imageSize="
              + imageSize
              + ", fit="
              + fit
              + "; pass all four");
    }
    HOSTS.put(name, new HostEditing(name, host, imageSize, fit, List.of()));
  }

  /** Stops serving the host of that name (the caller closes it). */
  public static void unregister(String name) {
    HOSTS.remove(name);
  }

  @Override
  public List<String> hosts() {
    List<String> names = new ArrayList<>(HOSTS.keySet());
    if (!names.contains(SHIPPED)) {
      names.add(SHIPPED);
    }
    return names;
  }

  @Override
  public Host open(String name) {
    HostEditing h = HOSTS.get(name);
    if (h != null || !SHIPPED.equals(name)) {
      return h;
    }
    synchronized (LOAD_LOCK) {
      h = HOSTS.get(name);
      if (h == null) {
        if (SceneHost.class.getResource(SceneHost.RESOURCE) == null) {
          throw new IllegalStateException(
              "host "
                  + SHIPPED
                  + " has no trained weights at "
                  + SceneHost.RESOURCE
                  + " on the class path; train them (HostTrainer) and rebuild"
                  + " the model module, or register a host with LocalHosts.register");
        }
        SceneHost host = SceneHost.load();
        Scenes scenes = Scenes.standard();
        // A few training scenes of each kind whose answers a fitted expert must keep.
        List<HostModel.Input> locality = new ArrayList<>();
        for (QuestionType.Kind k : QuestionType.Kind.values()) {
          locality.add(HostModel.Input.of(scenes.sample(Split.TRAIN, 1, k, Phrasing.TRAIN, 0)));
        }
        h =
            new HostEditing(
                name,
                host,
                Scenes.IMAGE_SIZE,
                FitExpertMaker.Options.defaults(),
                locality,
                GeneratorExpertMaker.load(host));
        HOSTS.put(name, h);
      }
      return h;
    }
  }

  @Override
  public String toString() {
    return "LocalHosts" + hosts();
  }
}
