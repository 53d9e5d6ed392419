"use strict";
// docent's web app: plain DOM, nothing fetched from anywhere but this server.

const $ = (id) => document.getElementById(id);
const plurals = new Intl.PluralRules("en");
let thread = null;
// the messages follow the newest answer unless the person scrolled up to read an older one
let following = true;
const NEAR_END_PX = 48;

function count(n, noun) {
  return `${n} ${plurals.select(n) === "one" ? noun : `${noun}s`}`;
}

function newThreadId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// a response that is not a success becomes an error with the server's one-line reason
async function checked(response) {
  if (response.status === 401) { location.href = "/login"; throw new Error("key needed"); }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : `the server answered ${response.status}`);
  }
  return response;
}

async function api(path, options = {}) {
  return (await checked(await fetch(path, options))).json();
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// `locator` is where in the file ("page 4", "slide 3", "sheet Q3"), as the server words it
function label(ref) {
  const name = ref.source.includes("://") ? ref.source : ref.source.split(/[\\/]/).pop();
  return ref.locator ? `${name}, ${ref.locator}` : name;
}

// --- setup status -----------------------------------------------------------------
async function loadStatus() {
  const status = await api("/api/status");
  const box = $("status");
  box.hidden = status.ready;
  box.textContent = status.problems.join(" ");
  if (!$("k").value) $("k").value = status.defaults.k;
}

// --- settings per conversation (k, search type) -------------------------------------
function saveSettings() {
  localStorage.setItem(`docent.settings.${thread}`,
    JSON.stringify({ k: $("k").value, search_type: $("search-type").value }));
}
function loadSettings() {
  const saved = JSON.parse(localStorage.getItem(`docent.settings.${thread}`) || "null");
  if (saved) { $("k").value = saved.k; $("search-type").value = saved.search_type; }
}

// --- the menu: a drawer on a narrow screen, a sidebar on a wide one -----------------------
function setMenu(open) {
  document.body.classList.toggle("menu-open", open);
  $("menu-open").setAttribute("aria-expanded", String(open));
  $("backdrop").hidden = !open;
  // what the open drawer covers takes neither focus nor clicks
  for (const covered of [$("topbar"), document.querySelector("main")]) covered.inert = open;
  if (open) $("menu-close").focus();
}

function closeMenu() {
  if (!document.body.classList.contains("menu-open")) return;
  setMenu(false);
  $("menu-open").focus();
}

// --- conversations --------------------------------------------------------------------
async function loadConversations() {
  const { conversations } = await api("/api/conversations");
  const list = $("conversations");
  list.replaceChildren();
  for (const c of conversations) {
    const button = el("button", "conversation", c.title);
    button.type = "button";
    button.title = c.title;
    button.dataset.id = c.id;
    if (c.id === thread) button.setAttribute("aria-current", "true");
    button.onclick = () => openConversation(c.id);
    const item = el("li");
    item.append(button);
    list.append(item);
  }
}

function clearTurns() {
  $("turns").replaceChildren();
  $("empty").hidden = false;
}

async function openConversation(id) {
  thread = id;
  loadSettings();
  const { messages } = await api(`/api/conversations/${encodeURIComponent(id)}`);
  closeMenu();
  clearTurns();
  for (let i = 0; i + 1 < messages.length; i += 2) {
    const { turn, answer } = addTurn(messages[i].content);  // as typed
    const reply = messages[i + 1];
    // a follow-up keeps the standalone question it was answered as
    const question = messages[i].details?.understood_as;
    if (reply.details) {
      showResult(turn, answer, { ...reply.details, answer: reply.content, question });
    } else answer.textContent = reply.content;
    turn.classList.add("done");
  }
  showNewest(true);
  await loadConversations();
}

function newConversation() {
  thread = newThreadId();
  loadSettings();
  setMenu(false);
  clearTurns();
  loadConversations();
  $("question").focus();
}

// --- asking -----------------------------------------------------------------------------
function showNewest(always = false) {
  const box = $("messages");
  if (always) following = true;
  if (following) box.scrollTop = box.scrollHeight;
}

function addTurn(question) {
  const turn = el("article", "turn");
  if (/[\uac00-\ud7a3]/.test(question)) turn.lang = "ko";  // read aloud as Korean
  const answer = el("div", "answer");
  turn.append(el("p", "question", question), answer);
  $("turns").append(turn);
  $("empty").hidden = true;
  return { turn, answer };
}

function sourceButton(text, src, number) {
  const button = el("button", "", text);
  button.type = "button";
  button.title = `Source ${number}: ${label(src)}`;
  button.onclick = () => openSource(src, button);
  return button;
}

// the answer's citations [n] become buttons that open source n
function showAnswer(answer, text, sources) {
  answer.replaceChildren();
  let shown = 0;
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    const src = sources[Number(match[1]) - 1];
    if (!src) continue;
    const cite = sourceButton(match[0], src, match[1]);
    cite.className = "cite";
    cite.setAttribute("aria-label", cite.title);
    answer.append(text.slice(shown, match.index), cite);
    shown = match.index + match[0].length;
  }
  answer.append(text.slice(shown));
}

// a server note as a sentence: "Not shown as the answer: …."
function sentence(text) {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?。]$/.test(capital) ? capital : `${capital}.`;
}

function showResult(turn, answer, result) {
  showAnswer(answer, result.answer, result.sources);
  answer.classList.toggle("refusal", result.refused);
  answer.dataset.kind = result.answer_kind;
  if (result.question && result.question !== turn.querySelector(".question").textContent) {
    turn.append(el("p", "understood", `Understood as: ${result.question}`));
  }
  if (result.warnings.length) {
    const notes = el("ul", "notes");
    notes.setAttribute("aria-label", "About this answer");
    for (const warning of result.warnings) notes.append(el("li", "", sentence(warning)));
    turn.append(notes);
  }
  if (result.evidence.length) {
    const evidence = el("div", "evidence");
    for (const item of result.evidence) {
      const quote = el("blockquote", "", `[${item.passage}] “${item.text}” — ${label(item)}`);
      evidence.append(quote);
    }
    turn.append(evidence);
  }
  if (result.sources.length) {
    const sources = el("div", "sources", "Sources: ");
    result.sources.forEach((src, i) => {
      const button = sourceButton(`[${i + 1}] ${label(src)}`, src, i + 1);
      button.className = "source";
      sources.append(button, " ");
    });
    turn.append(sources);
  }
}

async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const line = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)));
    }
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question || $("ask-button").disabled) return;
  if (!thread) thread = newThreadId();
  saveSettings();
  $("question").value = "";
  $("ask-button").disabled = true;
  const { turn, answer } = addTurn(question);
  answer.classList.add("streaming");
  answer.setAttribute("aria-busy", "true");
  showNewest(true);
  try {
    const response = await checked(await fetch(
      `/api/conversations/${encodeURIComponent(thread)}/ask`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ question, k: Number($("k").value) || null,
                               search_type: $("search-type").value }),
      }));
    // tokens are checked text, which the result then confirms (with its citations linked)
    await readEvents(response, (data) => {
      if (data.token !== undefined) answer.append(data.token);
      else if (data.result) showResult(turn, answer, data.result);
      else if (data.error) { answer.textContent = data.error; answer.classList.add("error"); }
      showNewest();
    });
  } catch (error) {
    answer.textContent = String(error.message || error);
    answer.classList.add("error");
  } finally {
    answer.classList.remove("streaming");
    answer.removeAttribute("aria-busy");
    turn.classList.add("done");
    showNewest();
    $("ask-button").disabled = false;
    loadConversations();
  }
}

// --- sources ------------------------------------------------------------------------------
let sourceOpener = null;  // the button that opened the source panel gets the focus back

async function openSource(src, opener) {
  sourceOpener = opener;
  $("viewer").hidden = false;
  $("viewer-close").focus();
  $("viewer-title").textContent = label(src);
  const file = `/api/sources/file?source=${encodeURIComponent(src.source)}`;
  $("viewer-open").href = file;
  $("viewer-passage").textContent = "…";
  const page = $("viewer-page");
  const pdf = src.source.toLowerCase().endsWith(".pdf");
  page.hidden = !pdf;
  page.src = pdf ? `${file}#page=${src.page || 1}` : "about:blank";
  try {
    const passage = await api(`/api/passages/${encodeURIComponent(src.chunk_id)}`);
    $("viewer-passage").textContent = passage.text;
  } catch (error) {
    $("viewer-passage").textContent = String(error.message || error);
  }
}

// --- documents ---------------------------------------------------------------------------
async function loadDocuments() {
  const { files, chunks } = await api("/api/documents");
  $("chunk-total").textContent = `(${count(files.length, "file")}, ${count(chunks, "chunk")})`;
  const list = $("documents");
  list.replaceChildren();
  for (const file of files) {
    const item = el("li");
    item.title = file.source;
    const name = el("span", "name", file.name);
    const remove = el("button", "remove", "✕");
    remove.type = "button";
    remove.title = `Remove ${file.name} from the index`;
    remove.setAttribute("aria-label", remove.title);
    remove.onclick = async () => {
      if (!confirm(`Remove ${file.name} from the index? The file itself stays.`)) return;
      try {
        const { deleted } = await api(`/api/documents?source=${encodeURIComponent(file.source)}`,
                                      { method: "DELETE" });
        $("ingest-report").textContent = `Removed ${file.name} (${count(deleted, "chunk")}).`;
      } catch (error) {
        $("ingest-report").textContent = `Not removed: ${error.message || error}`;
      }
      refresh();
    };
    item.append(name, el("span", "chunks", count(file.chunks, "chunk")), remove);
    list.append(item);
  }
}

// `added`, `updated`, `skipped` (unchanged) and `deleted` count chunks
function showReport(report) {
  const lines = [`${count(report.files_loaded, "file")} read: ${count(report.added, "chunk")} ` +
                 `added, ${report.updated} updated, ${report.skipped} unchanged, ` +
                 `${report.deleted} removed.`];
  for (const f of report.failed) lines.push(`Not read: ${f.path}: ${f.error}`);
  for (const w of report.warnings) lines.push(`Note: ${w.path}: ${w.error}`);
  for (const s of report.skipped_files) lines.push(`Skipped: ${s.path}: ${s.error}`);
  $("ingest-report").textContent = lines.join("\n");
}

async function ingest(request, what) {
  // progress: the elapsed time and the chunks the index holds, read every 2 s (chunks are
  // stored batch by batch, so the count grows while a large folder is ingested)
  const started = Date.now();
  const box = $("ingest-report");
  let stored = "";
  let running = true;
  const show = () => {
    box.textContent = `Adding ${what}… ${Math.round((Date.now() - started) / 1000)} s${stored}`;
  };
  const timer = setInterval(show, 500);
  const poll = setInterval(async () => {
    const { chunks } = await api("/api/documents");
    if (running) stored = `, ${count(chunks, "chunk")} in the index`;
  }, 2000);
  show();
  try {
    showReport(await request());
  } catch (error) {
    box.textContent = `Not added: ${error.message || error}`;
  } finally {
    running = false;
    clearInterval(timer);
    clearInterval(poll);
    refresh();
  }
}

function upload() {
  const file = $("upload-input").files[0];
  if (!file) return;
  ingest(() => api(`/api/documents/upload?name=${encodeURIComponent(file.name)}`,
                   { method: "POST", body: file }), file.name);
  $("upload-input").value = "";
}

function addPath(event) {
  event.preventDefault();
  const path = $("path-input").value.trim();
  if (!path) return;
  ingest(() => api("/api/documents/path", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ path }) }), path);
}

function refresh() {
  loadStatus();
  loadDocuments();
}

function closeSource() {
  $("viewer").hidden = true;
  if (sourceOpener && sourceOpener.isConnected) sourceOpener.focus();
}

function askExample(event) {
  const example = event.target.closest("button");
  if (!example) return;
  $("question").value = example.textContent;
  $("ask-form").requestSubmit();
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (e) => {
    // Enter while a Korean (IME) syllable is being composed only ends the composition
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("examples").addEventListener("click", askExample);
  $("messages").addEventListener("scroll", () => {
    const box = $("messages");
    following = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_END_PX;
  });
  $("menu-open").onclick = () => setMenu(true);
  $("menu-close").onclick = closeMenu;
  $("backdrop").onclick = closeMenu;
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (!$("viewer").hidden) closeSource();
    else closeMenu();
  });
  $("new-conversation").onclick = newConversation;
  $("upload-input").addEventListener("change", upload);
  $("path-form").addEventListener("submit", addPath);
  $("viewer-close").onclick = closeSource;
  $("k").addEventListener("change", saveSettings);
  $("search-type").addEventListener("change", saveSettings);
  newConversation();
  refresh();
});
