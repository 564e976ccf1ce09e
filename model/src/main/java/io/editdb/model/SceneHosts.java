package io.editdb.model;

/**
 * Scene hosts that need no trained weights, for tests and demonstrations in other modules: the
 * host's forward pass, layers, keys and experts work exactly as in a trained one, only its answers
 * are those of random weights.
 */
public final class SceneHosts {
  private SceneHosts() {}

  /** A freshly initialised host over the words and answers of {@link Scenes#standard()}. */
  public static SceneHost untrained(HostConfig config, long seed) {
    return SceneHost.initialize(config, Scenes.standard(), seed);
  }
}
