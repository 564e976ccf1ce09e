package io.editdb.driver;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.Set;

/**
 * The connection's {@link DatabaseMetaData}: H2's answers about tables, columns, types and SQL,
 * with EditDB's driver identity (driver name and version, URL, user, keywords) and its rules
 * (read-only result sets). The database product is H2 with H2's version, as it is: tools pick their
 * SQL dialect by product name and version (jOOQ, Flyway, SchemaCrawler), and what runs the SQL is
 * H2; EditDB's own version is the driver's. getColumns types columns as they read ({@link
 * ColumnKinds}: vectors as REAL ARRAY, large text as CHARACTER VARYING). Where JDBC takes a table
 * name and a tool passes null, H2 throws; an empty result with the right columns is returned
 * instead, as tools expect.
 *
 * <p>A dynamic proxy: DatabaseMetaData has some 180 methods and only a dozen differ.
 */
final class MetaData {
  /** EditDB's own statement keywords, added to H2's for editors that highlight them. */
  static final String KEYWORDS = "EDIT,EDITS,HISTORY,LAYER,REASON,RESTORE,VERIFY";

  /** Methods whose third argument is a table name (getCrossReference also its sixth). */
  private static final Set<String> TABLE_ARGUMENT =
      Set.of(
          "getPrimaryKeys",
          "getIndexInfo",
          "getImportedKeys",
          "getExportedKeys",
          "getBestRowIdentifier",
          "getVersionColumns",
          "getColumnPrivileges",
          "getCrossReference");

  private MetaData() {}

  static DatabaseMetaData wrap(DatabaseMetaData h2, EditDbConnection connection) {
    return (DatabaseMetaData)
        Proxy.newProxyInstance(
            MetaData.class.getClassLoader(),
            new Class<?>[] {DatabaseMetaData.class},
            new Handler(h2, connection));
  }

  private record Handler(DatabaseMetaData target, EditDbConnection connection)
      implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      int n = args == null ? 0 : args.length;
      if (n == 0) {
        switch (m.getName()) {
          case "getConnection":
            return connection;
          case "getDriverName":
            return EditDbDriver.NAME;
          case "getDriverVersion":
            return EditDbDriver.VERSION;
          case "getDriverMajorVersion":
            return EditDbDriver.MAJOR_VERSION;
          case "getDriverMinorVersion":
            return EditDbDriver.MINOR_VERSION;
          case "getURL":
            return connection.url();
          case "getUserName":
            return connection.user();
          case "getSQLKeywords":
            String h2 = target.getSQLKeywords();
            return h2 == null || h2.isEmpty() ? KEYWORDS : h2 + "," + KEYWORDS;
          case "isReadOnly":
            return connection.isReadOnly();
          case "hashCode":
            return System.identityHashCode(proxy);
          case "toString":
            return "EditDbMetaData[" + connection.url() + "]";
          default:
            break;
        }
      }
      switch (m.getName()) {
        case "supportsResultSetConcurrency":
          if ((Integer) args[1] != ResultSet.CONCUR_READ_ONLY) {
            return false;
          }
          break;
        case "equals":
          return n == 1 && proxy == args[0];
        case "unwrap":
          if (args[0] instanceof Class<?> iface && iface.isInstance(proxy)) {
            return proxy;
          }
          throw VectorResultSets.notAWrapper("DatabaseMetaData", args[0]);
        case "isWrapperFor":
          return args[0] instanceof Class<?> iface && iface.isInstance(proxy);
        default:
          if (TABLE_ARGUMENT.contains(m.getName())) {
            args = args.clone();
            for (int i = 2; i < n; i += 3) {
              if (args[i] == null && m.getParameterTypes()[i] == String.class) {
                args[i] = ""; // matches no table: the right columns, no rows
              }
            }
          }
      }
      Object result;
      try {
        result = m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      // H2's result sets would unwrap to H2's objects and, through them, its connection
      if (result instanceof ResultSet rs) {
        return m.getName().equals("getColumns")
            ? VectorResultSets.wrapColumnListing(rs, connection.h2())
            : VectorResultSets.wrap(rs, null, connection.h2());
      }
      return result;
    }
  }
}
