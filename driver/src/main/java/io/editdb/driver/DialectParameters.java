package io.editdb.driver;

import java.sql.ParameterMetaData;
import java.sql.SQLException;
import java.sql.Types;

/** Parameters of an EditDB statement: counted, typed only as "any value". */
record DialectParameters(int count) implements ParameterMetaData {
  @Override
  public int getParameterCount() {
    return count;
  }

  @Override
  public int isNullable(int param) {
    return parameterNullableUnknown;
  }

  @Override
  public boolean isSigned(int param) {
    return false;
  }

  @Override
  public int getPrecision(int param) {
    return 0;
  }

  @Override
  public int getScale(int param) {
    return 0;
  }

  @Override
  public int getParameterType(int param) {
    return Types.OTHER;
  }

  @Override
  public String getParameterTypeName(int param) {
    return "OTHER";
  }

  @Override
  public String getParameterClassName(int param) {
    return Object.class.getName();
  }

  @Override
  public int getParameterMode(int param) {
    return parameterModeIn;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw ErrorCode.INVALID_VALUE.exception("cannot unwrap to " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
