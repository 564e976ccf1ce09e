package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class UsersTest {
  @TempDir Path dir;

  private static void assertKind(StoreException.Kind kind, Executable run) {
    StoreException e = assertThrows(StoreException.class, run);
    assertEquals(kind, e.kind(), e::getMessage);
  }

  @Test
  void namesAndPasswordsAreProbedAtTheirLimits() {
    try (EditStore store = EditStore.open(Fixtures.mem())) {
      Users users = store.users();
      assertEquals(Role.ADMIN, users.login("ana", ""));
      String longest = "n".repeat(Users.MAX_NAME);
      users.create("ana", longest, "", Role.AUDITOR);
      assertKind(
          StoreException.Kind.INVALID_VALUE,
          () -> users.create("ana", longest + "n", "", Role.AUDITOR));
      users.create("ana", "pw-max", "p".repeat(Users.MAX_PASSWORD), Role.EDITOR);
      assertKind(
          StoreException.Kind.INVALID_VALUE,
          () -> users.create("ana", "pw-over", "p".repeat(Users.MAX_PASSWORD + 1), Role.EDITOR));
      for (String bad : new String[] {"", " ", "tab\tname", "nul\0", " lead", "trail "}) {
        assertKind(
            StoreException.Kind.INVALID_VALUE, () -> users.create("ana", bad, "", Role.EDITOR));
      }
      assertKind(StoreException.Kind.INVALID_VALUE, () -> users.create("ana", "x", "", null));
      assertEquals(Role.EDITOR, users.login("pw-max", "p".repeat(Users.MAX_PASSWORD)));
      assertEquals(3, users.count()); // ana, longest and pw-max: none of the refused
    }
  }

  @Test
  void aRememberedLoginNeverAcceptsAnotherPassword() {
    try (EditStore store = EditStore.open(Fixtures.mem())) {
      Users users = store.users();
      users.login("ana", "");
      users.create("ana", "ed", "right", Role.EDITOR);
      assertEquals(Role.EDITOR, users.login("ed", "right")); // slow hash, then remembered
      assertEquals(Role.EDITOR, users.login("ed", "right")); // remembered
      assertKind(StoreException.Kind.AUTHENTICATION, () -> users.login("ed", "wrong"));
      assertKind(StoreException.Kind.AUTHENTICATION, () -> users.login("ed", ""));
      users.changePassword("ed", "ed", "new");
      assertKind(StoreException.Kind.AUTHENTICATION, () -> users.login("ed", "right"));
      assertEquals(Role.EDITOR, users.login("ed", "new"));
    }
  }

  @Test
  void usersSurviveReopeningAndTheLastAdministratorStays() {
    StoreConfig config = StoreConfig.directory(dir.resolve("s"));
    try (EditStore store = EditStore.open(config)) {
      store.users().login("root", "pw");
      store.users().create("root", "aud", "a", Role.AUDITOR);
      assertKind(StoreException.Kind.WRONG_STATE, () -> store.users().drop("root", "root"));
    }
    try (EditStore store = EditStore.open(config)) {
      Users users = store.users();
      assertKind(StoreException.Kind.AUTHENTICATION, () -> users.login("root", ""));
      assertEquals(Role.ADMIN, users.login("root", "pw"));
      assertEquals(Role.AUDITOR, users.login("aud", "a"));
      assertKind(StoreException.Kind.AUTHENTICATION, () -> users.login("newcomer", ""));
      users.changeRole("root", "aud", Role.ADMIN);
      users.drop("aud", "root");
      assertTrue(users.role("root").isEmpty());
      assertEquals(Role.ADMIN, users.role("aud").orElseThrow());
    }
  }
}
