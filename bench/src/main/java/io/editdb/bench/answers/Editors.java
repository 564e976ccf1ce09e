package io.editdb.bench.answers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.editdb.model.EditedHost;
import io.editdb.model.FitExpertMaker;
import io.editdb.model.GeneratorExpertMaker;
import io.editdb.model.HostModel;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.query.TextEncoder;
import io.editdb.store.EditStore;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import io.editdb.store.SearchMode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The systems the benchmark edits sequentially and asks, one per method. */
final class Editors {
  private Editors() {}

  /** The module every method edits. */
  static final String MODULE = "blocks.2";

  /** One answer and, where something routes, whether and what it routed. */
  record Answered(String answer, long topEdit, boolean routedAny) {}

  /** An editable model: edits go in one commit each, questions come back answered. */
  interface Editor extends AutoCloseable {
    /** Makes and commits the edit; returns its id. */
    long edit(EditCase c) throws SQLException;

    /** Answers the inputs with every edit so far (threshold: the hard filter's, null: layer's). */
    List<Answered> ask(List<HostModel.Input> inputs, Double threshold);

    /** Whether {@link Answered#topEdit} means anything (false: nothing is routed). */
    boolean routes();

    @Override
    void close() throws SQLException;
  }

  /**
   * EditDB: a store on disk, edits inserted through the JDBC driver one auto-commit each, asked
   * through {@link EditedHost} (what {@code ASK} runs) with the store's router and the fused
   * applier. A host-bound layer gets its keys and expert from the picture in the {@code INSERT}
   * itself; a text-only layer is given the expert the generator makes and the prompt's text key.
   */
  static final class StoreEditor implements Editor {
    private final Connection connection;
    private final EditStore store;
    private final String layer;
    private final HostModel host;
    private final GeneratorExpertMaker explicitMaker; // null: the layer's host makes edits
    private final int textDim;
    private final ExpertApplier applier;
    private final String regionColumn; // token_mask or query_region
    private final java.util.function.Function<EditCase, Object> tokenMask; // null: no column
    private final Map<SearchMode, EditedHost> asked = new HashMap<>();
    private SearchMode mode;
    private int refused;

    /**
     * @param ddl the {@code CREATE LAYER} statement of layer {@code layer}
     * @param explicitMaker for a layer bound to no host: makes each expert, inserted as weights
     *     with the prompt's text key (the host's question key, or the encoder's from the prompt)
     * @param textDim the layer's text key width
     * @param regionColumn {@code token_mask} or {@code query_region}
     * @param tokenMask the value of {@code regionColumn} for each edit made from its image
     *     (positions or a region such as {@code 'TOP 4'}), or null to leave the column out (every
     *     position)
     */
    StoreEditor(
        Path dir,
        String ddl,
        String layer,
        HostModel host,
        GeneratorExpertMaker explicitMaker,
        int textDim,
        SearchMode mode,
        String regionColumn,
        java.util.function.Function<EditCase, Object> tokenMask)
        throws SQLException {
      this.connection = DriverManager.getConnection("jdbc:editdb:" + dir, "bench", "");
      try (Statement st = connection.createStatement()) {
        st.execute(ddl);
      }
      this.store = connection.unwrap(EditStore.class);
      this.layer = layer;
      this.host = host;
      this.explicitMaker = explicitMaker;
      this.textDim = textDim;
      this.applier = ExpertApplier.create(ApplierConfig.defaults(), store::weights);
      this.mode = mode;
      this.tokenMask = tokenMask;
      this.regionColumn = regionColumn;
    }

    /** The token_mask stored with an edit (null: every position). */
    int[] tokenMask(long id) {
      return store.edit(id).tokenMask();
    }

    /** Asks with this search mode from now on (the store stays as it is). */
    void searchWith(SearchMode m) {
      this.mode = m;
    }

    @Override
    public long edit(EditCase c) throws SQLException {
      boolean hostKey = textDim == host.questionKeyDim();
      String sql =
          explicitMaker == null
              ? tokenMask == null
                  ? "INSERT INTO edits (layer, prompt, target, image) VALUES (?, ?, ?, ?)"
                  : "INSERT INTO edits (layer, prompt, target, image, "
                      + regionColumn
                      + ") VALUES (?, ?, ?, ?, ?)"
              : "INSERT INTO edits (layer, prompt, target, image_ref, expert_a, expert_b, rank,"
                  + " alpha"
                  + (hostKey
                      ? ", text_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      : ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      try (PreparedStatement ps =
          connection.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
        ps.setString(1, layer);
        ps.setString(2, c.edit().question());
        ps.setString(3, c.target());
        if (explicitMaker == null) {
          ps.setBytes(4, io.editdb.model.Scenes.png(c.edit().image()));
          if (tokenMask != null) {
            ps.setObject(5, tokenMask.apply(c));
          }
        } else {
          ExpertWeights w = explicitMaker.make(HostModel.Input.of(c.edit()), c.target());
          ps.setString(4, "scenes:" + c.edit().split() + "/" + c.edit().index());
          ps.setObject(5, w.a());
          ps.setObject(6, w.b());
          ps.setInt(7, w.rank());
          ps.setFloat(8, w.alpha());
          if (hostKey) {
            ps.setObject(9, host.questionKeys(List.of(c.edit().question()))[0]);
          }
        }
        try {
          ps.executeUpdate();
        } catch (SQLException e) {
          if (e.getErrorCode() != 7101 || explicitMaker != null) { // 7101: INVALID_VALUE
            throw e;
          }
          refused++; // the maker could not reach the target (FIT): no edit, its probes fail
          return -1;
        }
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          return keys.getLong(1);
        }
      }
    }

    /** Edits the layer's maker refused (a fit that did not reach its target). */
    int refused() {
      return refused;
    }

    @Override
    public List<Answered> ask(List<HostModel.Input> inputs, Double threshold) {
      EditedHost edited =
          asked.computeIfAbsent(
              mode,
              m ->
                  new EditedHost(
                      host,
                      store.layer(layer),
                      new Router(store, RouterConfig.DEFAULT.withForcedMode(m)),
                      applier,
                      TextEncoder.shared()));
      List<Answered> out = new ArrayList<>(inputs.size());
      for (int from = 0; from < inputs.size(); from += 128) {
        for (EditedHost.Answer a :
            edited.answer(
                inputs.subList(from, Math.min(inputs.size(), from + 128)), null, threshold)) {
          out.add(
              new Answered(
                  a.answer(),
                  a.routed().isEmpty() ? -1 : a.routed().get(0).editId(),
                  !a.routed().isEmpty()));
        }
      }
      return out;
    }

    @Override
    public boolean routes() {
      return true;
    }

    @Override
    public void close() throws SQLException {
      applier.close();
      connection.close();
    }
  }

  /**
   * A baseline with no router: every query gets the same experts at gate 1. Either every expert
   * made so far (LiveEdit's experts without routing), or one update trained edit after edit (the
   * classic sequential fine-tuning that forgets).
   */
  static final class UnroutedEditor implements Editor {
    private final HostModel host;
    private final GeneratorExpertMaker generator; // null: sequential fine-tuning
    private final FitExpertMaker fineTune;
    private final Map<Long, ExpertWeights> experts = new HashMap<>();
    private final ExpertApplier applier;
    private FitExpertMaker.Fit tuned;
    private long nextId = 1;

    private UnroutedEditor(
        HostModel host, GeneratorExpertMaker generator, FitExpertMaker fineTune) {
      this.host = host;
      this.generator = generator;
      this.fineTune = fineTune;
      this.applier = ExpertApplier.create(ApplierConfig.defaults(), experts::get);
    }

    /** Every expert the generator made so far, applied to every query. */
    static UnroutedEditor everyExpert(HostModel host, GeneratorExpertMaker generator) {
      return new UnroutedEditor(host, generator, null);
    }

    /**
     * One full-rank update of the layer's output (a d x d LoRA, B starting at zero), trained
     * sequentially: each edit continues from the last until its target leads by the margin, with
     * nothing that protects earlier edits or other answers.
     */
    static UnroutedEditor fineTuning(HostModel host, int steps) {
      int d = host.hiddenSize();
      FitExpertMaker.Options o =
          new FitExpertMaker.Options(d, ExpertKind.LORA, 1f, 1f, 1f, steps, 0.003f, 0f, 1);
      return new UnroutedEditor(host, null, new FitExpertMaker(host, MODULE, o));
    }

    @Override
    public long edit(EditCase c) {
      long id = nextId++;
      HostModel.Input in = HostModel.Input.of(c.edit());
      if (generator != null) {
        experts.put(id, generator.make(in, c.target(), id));
      } else {
        tuned = fineTune.fit(in, c.target(), List.of(), tuned);
        experts.clear(); // a new id each time, so the applier never serves an older copy
        experts.put(id, tuned.weights(id));
      }
      return id;
    }

    @Override
    public List<Answered> ask(List<HostModel.Input> inputs, Double threshold) {
      List<RoutedEdit> all =
          experts.keySet().stream().sorted().map(id -> new RoutedEdit(id, 1f)).toList();
      List<Answered> out = new ArrayList<>(inputs.size());
      for (int from = 0; from < inputs.size(); from += 128) {
        List<HostModel.Input> batch = inputs.subList(from, Math.min(inputs.size(), from + 128));
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
          NDArray h = host.hiddenAt(MODULE, batch, m);
          if (!all.isEmpty()) {
            List<List<RoutedEdit>> routed = new ArrayList<>();
            batch.forEach(x -> routed.add(all));
            h = applier.apply(h, routed, null);
          }
          for (long a : host.continueFrom(MODULE, h).argMax(1).toLongArray()) {
            out.add(new Answered(host.answers().get((int) a), -1, !all.isEmpty()));
          }
        }
      }
      return out;
    }

    @Override
    public boolean routes() {
      return false;
    }

    @Override
    public void close() {
      applier.close();
    }
  }
}
