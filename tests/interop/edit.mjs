// A third-party client editing a danvan mediation case with JavaScript's Automerge, default API
// (every string it writes becomes a collaborative text object). See docs/record-schema.md.
//
//   node edit.mjs BASE OUT_CHANGES [OUT_EDITS_JSON]   load BASE (a danvan document), make the
//        edits below as two changes, write the changes made since BASE (A.saveSince) to
//        OUT_CHANGES and what was written (values, ids, this device) to OUT_EDITS_JSON
//   node edit.mjs --dump DOC [MORE_CHANGES...]      print A.toJS of a document as JSON
//   node edit.mjs --types DOC [MORE_CHANGES...]     print every value's path and Automerge type
//
// The edits: (1) a new summary, notes, a new party (a map with every field of danvan's `Party`,
// with a UUIDv7 `id`) and a new session (its participants a list of strings, so a list of text
// objects); (2) a status change received -> mediating appended to `history` after the current
// head, with the start date the new status requires. `status` and `closed_on` in the body are
// caches danvan derives from `history`; this client never writes them.
//
// The device id is DANVAN_INTEROP_DEVICE (a UUID) or a fresh UUIDv7; the actor id is its
// 16 bytes (one actor per device).

import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";

/** A UUIDv7 string: 48-bit Unix milliseconds, version 7, variant 10, random bits. */
function uuidv7() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The actor id of a device: the 16 bytes of its UUID, as hex. */
const actorOf = (uuid) => uuid.replaceAll("-", "").toLowerCase();

/** Heads of the status graph: entries no other entry follows (docs/record-schema.md). */
function statusHeads(history) {
  const followed = new Set();
  history.forEach((e, i) => {
    const after = e.after ?? [];
    // An entry written before `after` existed follows the entry before it in the list.
    if (after.length === 0 && i > 0) followed.add(String(history[i - 1].id));
    for (const p of after) followed.add(String(p));
  });
  return history.filter((e) => !followed.has(String(e.id)));
}

function die(msg) {
  console.error(`edit.mjs: ${msg}`);
  process.exit(1);
}

const args = process.argv.slice(2);

/** Every value of a document with its Automerge type, one `path type value` line each. */
function typesOf(doc) {
  const b = A.getBackend(doc);
  const lines = [];
  const walk = (obj, path, isList) => {
    const props = isList ? [...Array(b.length(obj)).keys()] : b.keys(obj);
    for (const p of props) {
      const [type, value] = b.getWithType(obj, p);
      const here = isList ? `${path}[${p}]` : path ? `${path}.${p}` : String(p);
      if (type === "map" || type === "list") {
        lines.push(`${here} ${type}`);
        walk(value, here, type === "list");
      } else if (type === "text") {
        lines.push(`${here} text ${JSON.stringify(b.text(value))}`);
      } else {
        lines.push(`${here} ${type} ${JSON.stringify(typeof value === "bigint" ? String(value) : value)}`);
      }
    }
  };
  walk("_root", "", false);
  return lines.join("\n");
}

if (args[0] === "--dump" || args[0] === "--types") {
  if (args.length < 2) die(`usage: node edit.mjs ${args[0]} DOC [MORE_CHANGES...]`);
  let doc = A.load(readFileSync(args[1]));
  for (const more of args.slice(2)) doc = A.loadIncremental(doc, readFileSync(more));
  if (args[0] === "--types") {
    console.log(typesOf(doc));
  } else {
    // `uint` values come out of toJS as BigInt; JSON shows them as plain numbers.
    const json = JSON.stringify(A.toJS(doc), (_, v) => (typeof v === "bigint" ? `${v}n` : v), 2);
    console.log(json.replace(/"(\d+)n"/g, "$1"));
  }
  process.exit(0);
}

if (args.length < 2) die("usage: node edit.mjs BASE OUT_CHANGES [OUT_EDITS_JSON]");
const [basePath, outPath, editsPath] = args;
const device = process.env.DANVAN_INTEROP_DEVICE || uuidv7();

let doc = A.load(readFileSync(basePath), { actor: actorOf(device) });
const baseHeads = A.getHeads(doc);

const kind = String(doc.envelope?.kind);
if (kind !== "mediation" || !doc.body?.Mediation) die(`not a mediation case (kind ${kind})`);

const edits = {
  device,
  summary: "Tranh chấp lối đi chung; hai hộ đề nghị đo lại ranh giới (sửa từ ứng dụng JS)",
  notes: "Bà Mai đề nghị mời cán bộ địa chính cùng đo đạc.",
  party: {
    id: uuidv7(),
    name: "Trần Thị Lan",
    birth_year: 1992,
    sex: "female",
    address: "Số 12, ngõ 45, tổ dân phố số 5",
    phone: "0987 654 321",
    role: "related",
  },
  session: {
    id: uuidv7(),
    held_on: "2025-09-05",
    place: "Nhà văn hóa tổ dân phố số 5",
    participants: ["Nguyễn Thị Hoa", "Phạm Văn Toàn", "Trần Thị Lan"],
    notes: null,
  },
  started_on: "2025-09-05",
};

// (1) Edit the case. Plain JS strings become text objects; numbers that are whole become
// Automerge `int` (right for `birth_year`, an i32); `null` is an absent optional value.
doc = A.change(doc, { message: "JS client: edit case", time: Math.floor(Date.now() / 1000) }, (d) => {
  const m = d.body.Mediation;
  m.summary = edits.summary;
  m.notes = edits.notes;
  m.parties.push({ ...edits.party });
  m.sessions.push({ ...edits.session, participants: [...edits.session.participants] });
});

// (2) Move the case from the status shown to `mediating`: append one entry after the head.
const heads = statusHeads(doc.history);
if (heads.length !== 1) die(`status conflict (${heads.length} heads): a person must resolve it first`);
const head = heads[0];
edits.status_change = {
  id: uuidv7(),
  from: String(head.to),
  to: "mediating",
  on: edits.started_on,
  at: Date.now(),
  by: device,
  note: "Bắt đầu hòa giải",
  after: [String(head.id)],
  keeps: null,
};
doc = A.change(doc, { message: "JS client: start mediation", time: Math.floor(Date.now() / 1000) }, (d) => {
  d.body.Mediation.started_on = edits.started_on;
  d.history.push({ ...edits.status_change, after: [...edits.status_change.after] });
});

writeFileSync(outPath, A.saveSince(doc, baseHeads));
if (editsPath) writeFileSync(editsPath, JSON.stringify(edits, null, 2) + "\n");
console.error(`edit.mjs: wrote ${outPath} (device ${device})`);
