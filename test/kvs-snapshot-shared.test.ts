/**
 * `--kvs-snapshot` in a folder every user can write to (sticky, like /tmp). Another user plants
 * files at the names earlier versions opened with "w" (`<file>.<pid>.{interval,exit}.tmp`, and the
 * start-up check's `.<file>.<pid>.probe`): world-writable files, then symlinks to a file of the
 * owner's. The owner's run writes into none of them and saves a 0600 snapshot of its own values.
 * A snapshot at the path that is not the owner's alone is refused: one line, exit 2, nothing started.
 * Runs as root only: it adds a throw-away user (useradd) and acts as them (runuser).
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { checkSnapshot, loadSnapshot, saveSnapshotSync } from "../runtime/kvs/snapshot.js";
import { fixture, processesGone, strmbrkr, strmbrkrWatched } from "./lib/cli.js";
import { waitForLine } from "./lib/kvs-helpers.js";
import type { TapTest } from "./lib/scenario.js";

const missing = ["useradd", "userdel", "runuser"].filter((command) => spawnSync("sh", ["-c", `command -v ${command}`]).status !== 0);
const skip =
  process.getuid?.() !== 0 ? "runs as root only: it adds a throw-away user" : missing.length > 0 ? `needs ${missing.join(", ")}` : false;

/** Runs `sh -c script` as `user` with `args` as $1…; throws with its stderr if it fails. */
function asUser(user: string, script: string, args: string[], input?: Buffer): void {
  const result = spawnSync("runuser", ["-u", user, "--", "sh", "-c", script, "sh", ...args], { input, timeout: 10_000 });
  if (result.status !== 0) throw new Error(`as ${user}: ${script}: ${result.stderr?.toString().trim() || result.error?.message}`);
}

/** Another user, a sticky folder everyone can write to, and a private one of the owner's (root's) with a file to protect. */
function sharedMachine(t: TapTest) {
  const user = `sbk${randomBytes(4).toString("hex")}`;
  const added = spawnSync("useradd", ["--create-home", user]);
  if (added.status !== 0) throw new Error(`useradd ${user}: ${added.stderr.toString().trim()}`);
  t.teardown(() => void spawnSync("userdel", ["-r", user]));
  const uid = Number(spawnSync("id", ["-u", user]).stdout.toString().trim());
  const shared = mkdtempSync(join(tmpdir(), "strmbrkr-shared-"));
  chmodSync(shared, 0o1777);
  const own = mkdtempSync(join(tmpdir(), "strmbrkr-owner-"));
  t.teardown(() => {
    for (const dir of [shared, own]) rmSync(dir, { recursive: true, force: true });
  });
  const victim = join(own, "victim.txt");
  writeFileSync(victim, "the owner's file, which no run should write\n");
  return { user, uid, shared, own, victim };
}

t.test(
  "files planted at the old temporary names: none is written; the snapshot is the owner's, 0600",
  { skip, timeout: 120_000 },
  async (t) => {
    const { user, uid, shared, victim } = sharedMachine(t);
    const file = join(shared, "state.kvs");
    const victimBefore = readFileSync(victim, "utf8");
    const planted: { path: string; kind: "file" | "symlink" }[] = [];
    const plant = (kind: "file" | "symlink", paths: string[]) => {
      if (kind === "file") asUser(user, 'for f; do printf planted > "$f" && chmod 666 "$f"; done', paths);
      else asUser(user, 'v=$1; shift; for f; do ln -s "$v" "$f"; done', [victim, ...paths]);
      planted.push(...paths.map((path) => ({ path, kind })));
    };

    for (const [value, kind] of [
      ["first", "file"],
      ["second", "symlink"],
    ] as const) {
      const result = await strmbrkr(
        ["run", fixture("kvs-snapshot-shared.ts"), "--workers", "1", "--kvs-snapshot", file, "--", file, value],
        {
          env: { STRMBRKR_KVS_SNAPSHOT_INTERVAL: "0.2" },
          timeoutMs: 45_000,
          onSpawn: (child) => {
            // The CLI's pid is known now; its start-up check may already be past (a race an attacker runs too).
            plant(kind, [join(shared, `.${basename(file)}.${child.pid}.probe`)]);
            // The store's pid, once the fixture shows it: before anything is saved.
            void waitForLine(child.stdout!, /^\{"pid"/).then(
              (line) => {
                const { pid } = JSON.parse(line) as { pid: number };
                plant(kind, [`${file}.${pid}.interval.tmp`, `${file}.${pid}.exit.tmp`]);
                child.kill("SIGUSR2");
              },
              () => {},
            ); // no such line: the run's own failure says why
          },
        },
      );
      t.equal(result.code, 0, `${kind}s planted: the run exits 0`, { stderr: result.stderr });
      t.same(await processesGone(result.instanceId), [], `${kind}s planted: no process of the run is left`);
      t.match(result.stdout, /^\{"saved":true\}$/m, `${kind}s planted: an interval save was renamed into place`);
      const loaded = JSON.parse(result.stdout.split("\n")[0] ?? "{}").loaded;
      t.same(loaded, value === "first" ? {} : { owner: "first" }, `${kind}s planted: the run loaded the owner's values only`);

      t.equal(readFileSync(victim, "utf8"), victimBefore, `${kind}s planted: the file the symlinks point at is unchanged`);
      for (const { path, kind: what } of planted) {
        const info = lstatSync(path);
        t.equal(info.uid, uid, `${basename(path)}: still the other user's`);
        if (what === "file") t.equal(readFileSync(path, "utf8"), "planted", `${basename(path)}: never written to (no secrets in it)`);
        else t.equal(readlinkSync(path), victim, `${basename(path)}: still the same symlink`);
      }
      const info = lstatSync(file);
      t.ok(info.isFile(), `${kind}s planted: the snapshot is a file`);
      t.equal(info.uid, process.getuid!(), `${kind}s planted: owned by the owner`);
      t.equal(info.mode & 0o777, 0o600, `${kind}s planted: mode 0600`);
      t.same(
        loadSnapshot(file).map(({ key, value }) => ({ key, value })),
        [{ key: "owner", value }],
        `${kind}s planted: holding the owner's values only`,
      );
      t.same(
        readdirSync(shared).sort(),
        [basename(file), ...planted.map(({ path }) => basename(path))].sort(),
        `${kind}s planted: nothing else was written in the folder`,
      );
    }
  },
);

t.test(
  "a snapshot that is not the owner's alone is refused: one line, exit 2, nothing started or loaded",
  { skip, timeout: 120_000 },
  async (t) => {
    const { user, uid, shared, own } = sharedMachine(t);
    const me = process.getuid!();
    // A valid snapshot (the checksum holds) with values the other user wants the owner's run to use.
    const injected = join(own, "injected.kvs");
    saveSnapshotSync(injected, [
      { key: "owner", value: "injected" },
      { key: "attacker", value: "was here" },
    ]);
    const bytes = readFileSync(injected);
    const theirs = join(shared, "theirs.kvs");
    asUser(user, 'cat > "$1" && chmod 644 "$1"', [theirs], bytes);

    const path = (name: string) => join(shared, name);
    const cases: [string, string, () => void, RegExp][] = [
      [
        "a snapshot another user planted at the path",
        path("planted.kvs"),
        () => asUser(user, 'cat > "$1" && chmod 644 "$1"', [path("planted.kvs")], bytes),
        new RegExp(`is owned by uid ${uid}, not by you \\(uid ${me}\\): refusing to load it$`),
      ],
      [
        "another user's symlink at the path, to their snapshot",
        path("their-link.kvs"),
        () => asUser(user, 'ln -s "$1" "$2"', [theirs, path("their-link.kvs")]),
        new RegExp(`is a symlink owned by uid ${uid}, not by you \\(uid ${me}\\): refusing to load it$`),
      ],
      [
        "another user's dangling symlink at the path",
        path("dangling.kvs"),
        () => asUser(user, 'ln -s "$1" "$2"', [path("nothing-yet"), path("dangling.kvs")]),
        new RegExp(`is a symlink owned by uid ${uid}, not by you`),
      ],
      [
        "the owner's symlink to another user's snapshot",
        path("my-link.kvs"),
        () => symlinkSync(theirs, path("my-link.kvs")),
        new RegExp(`is a symlink to a file owned by uid ${uid}, not by you \\(uid ${me}\\): refusing to load it$`),
      ],
      [
        "the owner's snapshot, writable by anyone",
        path("loose.kvs"),
        () => ownFile(path("loose.kvs"), bytes, 0o666),
        /is writable by others \(mode 0666\): refusing to load it; chmod go-w it if it is yours$/,
      ],
      [
        "the owner's snapshot, writable by its group",
        path("group.kvs"),
        () => ownFile(path("group.kvs"), bytes, 0o620),
        /is writable by others \(mode 0620\): refusing to load it/,
      ],
    ];
    for (const [what, file, setUp, message] of cases) {
      setUp();
      const before = describe(file);
      const result = await strmbrkrWatched(
        ["run", fixture("kvs-snapshot-shared.ts"), "--workers", "1", "--kvs-snapshot", file, "--", file, "mine"],
        { timeoutMs: 30_000 },
      );
      t.equal(result.code, 2, `${what}: exit 2`, { stderr: result.stderr });
      const lines = result.stderr.trim().split("\n");
      t.equal(lines.length, 1, `${what}: one line on stderr`, { stderr: result.stderr });
      t.match(lines[0], new RegExp(`^strmbrkr: KVS snapshot ${escape(file)} `), `${what}: it names the file`);
      t.match(lines[0], message, `${what}: and says why`);
      t.same(result.started, [], `${what}: no broker, store or worker was started`);
      t.equal(result.stdout, "", `${what}: main never ran, so nothing was loaded`);
      t.same(describe(file), before, `${what}: the file is left as it was`);
    }

    // Still accepted: the owner's symlink to the owner's 0600 snapshot, and one others may read.
    const mine = join(own, "mine.kvs");
    saveSnapshotSync(mine, [{ key: "owner", value: "mine" }]);
    symlinkSync(mine, path("to-mine.kvs"));
    t.doesNotThrow(() => checkSnapshot(path("to-mine.kvs")), "the owner's symlink to the owner's snapshot is used");
    chmodSync(mine, 0o644);
    t.doesNotThrow(() => checkSnapshot(mine), "a snapshot others may read is used (the next save makes it 0600)");
  },
);

/** A file of the owner's with exactly `mode` (the umask would narrow a mode given to writeFileSync). */
function ownFile(file: string, bytes: Buffer, mode: number): void {
  writeFileSync(file, bytes);
  chmodSync(file, mode);
}

/** What a file is: owner, mode, kind and content (or where a symlink points). */
function describe(file: string) {
  const info = lstatSync(file);
  return { uid: info.uid, mode: info.mode, content: info.isSymbolicLink() ? readlinkSync(file) : readFileSync(file).toString("base64") };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
