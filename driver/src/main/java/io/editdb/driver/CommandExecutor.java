package io.editdb.driver;

import io.editdb.driver.Command.AlterUser;
import io.editdb.driver.Command.CreateLayer;
import io.editdb.driver.Command.CreateUser;
import io.editdb.driver.Command.DropUser;
import io.editdb.driver.Command.InsertEdit;
import io.editdb.driver.Command.Lit;
import io.editdb.driver.Command.Param;
import io.editdb.driver.Command.RestoreEdit;
import io.editdb.driver.Command.RollbackEdit;
import io.editdb.driver.Command.RollbackEdits;
import io.editdb.driver.Command.RollbackToVersion;
import io.editdb.driver.Command.TableFunctions;
import io.editdb.driver.Command.Val;
import io.editdb.driver.Command.VerifyHistory;
import io.editdb.query.SqlRouting;
import io.editdb.query.TextEncoder;
import io.editdb.store.EditCondition;
import io.editdb.store.HistoryCheck;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.Role;
import io.editdb.store.StoreSession;
import io.editdb.store.Users;
import io.editdb.store.VectorCodec;
import io.editdb.store.WeightDtype;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLSyntaxErrorException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.h2.tools.SimpleResultSet;

/**
 * Runs EditDB's write statements and VERIFY HISTORY against a connection's store session. Does not
 * commit: the connection decides that (auto-commit, batches, explicit transactions).
 */
final class CommandExecutor {

  /** What a statement produced: an update count, or rows, and the ids of inserted edits. */
  record Outcome(long updateCount, ResultSet rows, long[] generatedIds) {
    static Outcome count(long n) {
      return new Outcome(n, null, new long[0]);
    }
  }

  private final StoreSession session;
  // The user's restricted H2 connection (the connection may swap it when the role changes).
  private final Supplier<Connection> userSql;
  private final SqlRouting functions;

  CommandExecutor(StoreSession session, Supplier<Connection> userSql, SqlRouting functions) {
    this.session = session;
    this.userSql = userSql;
    this.functions = functions;
  }

  /** Runs an EditDB statement; store refusals come out as StoreException. */
  Outcome run(Command c, Object[] params) throws SQLException {
    return switch (c) {
      case CreateLayer cl -> createLayer(cl, params);
      case InsertEdit ins -> insert(ins, params);
      case RollbackEdit r ->
          Outcome.count(
              session.rollbackEdit(
                  longValue(r.id(), params, "edit id"), reason(r.reason(), params)));
      case RollbackEdits r -> rollbackEdits(r, params);
      case RollbackToVersion r -> rollbackToVersion(r, params);
      case RestoreEdit r ->
          Outcome.count(
              session.restoreEdit(
                  longValue(r.id(), params, "edit id"), reason(r.reason(), params)));
      case VerifyHistory v -> verify();
      case TableFunctions t ->
          new Outcome(
              -1, PgTableFunctions.query(t.sql(), params, userSql.get(), functions), new long[0]);
      case CreateUser u -> {
        session
            .store()
            .users()
            .create(
                session.actor(),
                userName(u.name(), params),
                password(u.password(), params),
                role(u.role(), params));
        yield Outcome.count(1);
      }
      case AlterUser u -> {
        Users users = session.store().users();
        String name = userName(u.name(), params);
        if (u.password() != null) {
          users.changePassword(session.actor(), name, password(u.password(), params));
        } else {
          users.changeRole(session.actor(), name, role(u.role(), params));
        }
        yield Outcome.count(1);
      }
      case DropUser u -> {
        session.store().users().drop(session.actor(), userName(u.name(), params));
        yield Outcome.count(1);
      }
      default -> throw new IllegalStateException("not an EditDB statement: " + c);
    };
  }

  // ---- CREATE LAYER ----

  private Outcome createLayer(CreateLayer c, Object[] params) throws SQLException {
    Map<String, Object> o = new HashMap<>();
    for (Map.Entry<String, Val> e : c.options().entrySet()) {
      o.put(e.getKey(), get(e.getValue(), params));
    }
    String name = Values.text(get(c.name(), params), "layer name");
    Layer.Builder b =
        o.containsKey("HOST")
            ? HostLayers.builder(name, o)
            : Layer.builder(
                name,
                Values.text(o.get("MODEL"), "MODEL"),
                Values.text(o.get("MODULE"), "MODULE"),
                intOption(o, "D_IN"),
                intOption(o, "D_OUT"),
                intOption(o, "VISUAL_DIM"),
                intOption(o, "TEXT_DIM"));
    if (o.containsKey("MAKER") && !o.containsKey("HOST")) {
      throw ErrorCode.INVALID_VALUE.exception(
          "MAKER needs HOST: a maker makes experts with the layer's host model; give HOST too,"
              + " or leave MAKER out");
    }
    for (LayerOption opt : LayerOption.values()) {
      if (o.containsKey(opt.name())) {
        b.opt(opt, optionValue(o, opt));
      }
    }
    session.createLayer(b.build());
    return Outcome.count(0);
  }

  /** A CREATE LAYER option's value as its declaration types it. */
  private static Object optionValue(Map<String, Object> o, LayerOption opt) throws SQLException {
    String key = opt.name();
    if (opt.type() == Integer.class) {
      return intOption(o, key);
    }
    if (opt.type() == Double.class) {
      return realOption(o, key);
    }
    // enumOption refuses a name outside the enum with the allowed ones listed
    return opt.constant(enumOption(o, key, (Enum<?>[]) opt.type().getEnumConstants()));
  }

  private static int intOption(Map<String, Object> o, String key) throws SQLException {
    Long v = Values.integer(required(o, key), key);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw ErrorCode.INVALID_VALUE.exception(key + " is out of range; " + key + "=" + v);
    }
    return v.intValue();
  }

  private static double realOption(Map<String, Object> o, String key) throws SQLException {
    return Values.real(required(o, key), key);
  }

  private static String enumOption(Map<String, Object> o, String key, Enum<?>[] allowed)
      throws SQLException {
    String v = Values.text(required(o, key), key).toUpperCase(Locale.ROOT);
    for (Enum<?> e : allowed) {
      if (e.name().equals(v)) {
        return v;
      }
    }
    throw ErrorCode.INVALID_VALUE.exception(
        key + " must be one of " + List.of(allowed) + "; " + key + "=" + v);
  }

  private static Object required(Map<String, Object> o, String key) throws SQLException {
    Object v = o.get(key);
    if (v == null) {
      throw ErrorCode.INVALID_VALUE.exception(key + " must not be NULL; give a value");
    }
    return v;
  }

  // ---- INSERT INTO edits ----

  private Outcome insert(InsertEdit c, Object[] params) throws SQLException {
    Map<String, Object> v = new HashMap<>();
    for (int k = 0; k < c.columns().size(); k++) {
      v.put(c.columns().get(k), get(c.values().get(k), params));
    }
    String layerName = Values.text(v.get("layer"), "layer");
    Layer layer = session.layer(layerName);
    if (c.columns().contains("image")) {
      return inserted(c, session.insert(HostLayers.fromImage(layer, v, c.columns())));
    }
    String prompt = Values.text(v.get("prompt"), "prompt");
    String dtypeText = Values.text(v.get("weight_dtype"), "weight_dtype");
    WeightDtype dtype = dtypeText == null ? null : WeightDtype.parse(dtypeText);
    float[] textKey;
    if (c.columns().contains("text_key")) {
      textKey = Values.floats(v.get("text_key"), "text_key");
    } else {
      textKey = encode(layer, prompt);
    }
    byte[] a = Values.weights(v.get("expert_a"), dtype, "expert_a");
    byte[] b = Values.weights(v.get("expert_b"), dtype, "expert_b");
    if (a == null || b == null) {
      throw ErrorCode.INVALID_VALUE.exception(
          (a == null ? "expert_a" : "expert_b")
              + " is required; give the expert's weights (expert_a: rank x d_in, expert_b:"
              + " d_out x rank, flattened row-major)");
    }
    Long rank = Values.integer(v.get("rank"), "rank");
    if (rank == null) {
      rank = inferRank(layer, a);
    }
    Double alpha = Values.real(v.get("alpha"), "alpha");
    NewEdit edit =
        NewEdit.builder(layerName, prompt, Values.text(v.get("target"), "target"))
            .imageRef(Values.text(v.get("image_ref"), "image_ref"))
            .visualKey(Values.floats(v.get("visual_key"), "visual_key"))
            .textKey(textKey)
            .weightsEncoded(
                a,
                b,
                (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, rank)),
                alpha == null ? 1f : alpha.floatValue())
            .author(Values.text(v.get("author"), "author"))
            .reason(Values.text(v.get("reason"), "reason"))
            .tokenMask(HostLayers.explicitMask(layer, v.get("token_mask"), v.get("query_region")))
            .build();
    return inserted(c, session.insert(edit));
  }

  /** The outcome of an insert: the new id, and the row of it if the statement returns one. */
  private static Outcome inserted(InsertEdit c, long id) {
    SimpleResultSet rows = null;
    if (c.returnsRows()) {
      rows = resultColumns(c);
      Object[] row = new Object[c.returning().size()];
      java.util.Arrays.fill(row, id);
      rows.addRow(row);
    }
    return new Outcome(rows == null ? 1 : -1, rows, new long[] {id});
  }

  /** The columns of the rows a statement returns (VERIFY HISTORY's, or an insert's new id). */
  static SimpleResultSet resultColumns(Command c) {
    if (c instanceof InsertEdit ins) {
      SimpleResultSet rs = new SimpleResultSet();
      for (String label : ins.returning()) {
        rs.addColumn(label, Types.BIGINT, 19, 0);
      }
      return rs;
    }
    return verifyColumns();
  }

  private static float[] encode(Layer layer, String prompt) throws SQLException {
    // A layer bound to a host with another text_dim is keyed by the host's own question keys.
    boolean byHost = layer.hasHost() && layer.textDim() != TextEncoder.DIMENSION;
    if (!byHost && layer.textDim() != TextEncoder.DIMENSION) {
      throw ErrorCode.ENCODER_DIMENSION.exception(
          "text_key was left out, so it would be"
              + " computed from the prompt by the built-in encoder ("
              + TextEncoder.MODEL_NAME
              + ", "
              + TextEncoder.DIMENSION
              + " floats), but layer "
              + layer.name()
              + " has text_dim "
              + layer.textDim()
              + "; give text_key, or use a layer with TEXT_DIM "
              + TextEncoder.DIMENSION);
    }
    if (prompt == null) {
      throw ErrorCode.INVALID_VALUE.exception("prompt is required; prompt=null");
    }
    if (prompt.length() > NewEdit.MAX_TEXT) {
      return null; // the store refuses the prompt itself, before it looks for a text key
    }
    return byHost ? HostLayers.textKey(layer, prompt) : TextEncoder.shared().encode(prompt);
  }

  /** rank x d_in = |expert_a|, so rank may be left out when it divides evenly. */
  private static long inferRank(Layer layer, byte[] a) throws SQLException {
    int n = VectorCodec.length(a);
    if (n == 0 || n % layer.dIn() != 0) {
      throw ErrorCode.INVALID_VALUE.exception(
          "rank was left out and expert_a's "
              + n
              + " floats are not a multiple of d_in "
              + layer.dIn()
              + " of layer "
              + layer.name()
              + "; expert_a is rank x d_in, flattened row-major. Give rank, or fix expert_a");
    }
    return n / layer.dIn();
  }

  // ---- rollbacks ----

  private Outcome rollbackEdits(RollbackEdits c, Object[] params) throws SQLException {
    List<Object> args = new ArrayList<>();
    for (int k = 0; k < c.conditionParams().size(); k++) {
      args.add(
          Values.forDatabase(
              get(new Param(c.conditionParams().get(k), 0), params), session.store().config()));
    }
    EditCondition condition = new EditCondition(c.condition(), args);
    String reason = reason(c.reason(), params);
    // The condition is the user's SQL: the store evaluates it on the user's restricted connection,
    // so it reads no more than the user could SELECT and writes nothing.
    try {
      return Outcome.count(session.rollbackEditsWhere(condition, userSql.get(), reason));
    } catch (SQLException e) { // the condition's own failure
      SQLException t = Errors.translate(e);
      if (t == e && e.getSQLState() != null && e.getSQLState().startsWith("42")) {
        throw new SQLSyntaxErrorException(
            "the condition of ROLLBACK EDITS WHERE must be SQL over"
                + " the columns of edits: "
                + e.getMessage(),
            e.getSQLState(),
            e.getErrorCode(),
            e);
      }
      throw t;
    } catch (StackOverflowError e) {
      throw Errors.tooComplex(e);
    }
  }

  private Outcome rollbackToVersion(RollbackToVersion c, Object[] params) throws SQLException {
    long v = longValue(c.version(), params, "version");
    // Already the active set of v: the store changes nothing and its commit makes no version.
    return Outcome.count(session.rollbackToVersion(v, reason(c.reason(), params)));
  }

  // ---- VERIFY HISTORY ----

  private Outcome verify() {
    HistoryCheck h = session.verifyHistory();
    SimpleResultSet rs = verifyColumns();
    rs.addRow(h.ok(), h.checked(), h.firstBadSeq(), h.problem());
    return new Outcome(-1, rs, new long[0]);
  }

  /** The columns of VERIFY HISTORY's row. */
  static SimpleResultSet verifyColumns() {
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("OK", Types.BOOLEAN, 1, 0);
    rs.addColumn("CHECKED", Types.BIGINT, 19, 0);
    rs.addColumn("FIRST_BAD_SEQ", Types.BIGINT, 19, 0);
    rs.addColumn("PROBLEM", Types.VARCHAR, 1000, 0);
    return rs;
  }

  // ---- values ----

  private static long longValue(Val v, Object[] params, String what) throws SQLException {
    Long n = Values.integer(get(v, params), what);
    if (n == null) {
      throw ErrorCode.INVALID_VALUE.exception(what + " must not be NULL; give an integer");
    }
    return n;
  }

  static String userName(Val v, Object[] params) throws SQLException {
    return Values.text(get(v, params), "user name");
  }

  private static String password(Val v, Object[] params) throws SQLException {
    return v == null ? "" : Values.text(get(v, params), "password");
  }

  private static Role role(Val v, Object[] params) throws SQLException {
    Map<String, Object> o = new HashMap<>();
    o.put("ROLE", get(v, params));
    return Role.valueOf(enumOption(o, "ROLE", Role.values()));
  }

  private static String reason(Val v, Object[] params) throws SQLException {
    return v == null ? null : Values.text(get(v, params), "reason");
  }

  static Object get(Val v, Object[] params) throws SQLException {
    if (v instanceof Lit lit) {
      return lit.value();
    }
    Param p = (Param) v;
    Object value = params[p.index() - 1];
    if (value == Values.UNSET) {
      throw ErrorCode.MISSING_PARAMETER.exception(
          "parameter "
              + p.index()
              + " is not set; call"
              + " a setter such as setObject("
              + p.index()
              + ", value) before executing");
    }
    return value;
  }
}
