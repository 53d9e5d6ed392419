"use strict";
// docent's web app: plain DOM, nothing fetched from anywhere but this server.

const $ = (id) => document.getElementById(id);
let thread = null;

function newThreadId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (response.status === 401) { location.href = "/login"; throw new Error("key needed"); }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
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

// --- conversations --------------------------------------------------------------------
async function loadConversations() {
  const { conversations } = await api("/api/conversations");
  const list = $("conversations");
  list.replaceChildren();
  for (const c of conversations) {
    const item = el("li", c.id === thread ? "current" : "", c.title);
    item.title = c.title;
    item.dataset.id = c.id;
    item.onclick = () => openConversation(c.id);
    list.append(item);
  }
}

async function openConversation(id) {
  thread = id;
  loadSettings();
  const { messages } = await api(`/api/conversations/${encodeURIComponent(id)}`);
  $("messages").replaceChildren();
  for (let i = 0; i + 1 < messages.length; i += 2) {
    const { turn, answer } = addTurn(messages[i].content);
    const reply = messages[i + 1];
    if (reply.details) showResult(turn, answer, { ...reply.details, answer: reply.content });
    else answer.textContent = reply.content;
    turn.classList.add("done");
  }
  await loadConversations();
}

function newConversation() {
  thread = newThreadId();
  loadSettings();
  $("messages").replaceChildren();
  loadConversations();
  $("question").focus();
}

// --- asking -----------------------------------------------------------------------------
function addTurn(question) {
  const turn = el("div", "turn");
  const answer = el("div", "answer");
  turn.append(el("div", "question", question), answer);
  $("messages").append(turn);
  return { turn, answer };
}

function showResult(turn, answer, result) {
  answer.textContent = result.answer;
  answer.classList.toggle("refusal", result.refused);
  answer.dataset.kind = result.answer_kind;
  if (result.question && result.question !== turn.querySelector(".question").textContent) {
    turn.append(el("div", "understood", `understood as: ${result.question}`));
  }
  for (const warning of result.warnings) turn.append(el("div", "warning", `note: ${warning}`));
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
      const button = el("button", "source", `[${i + 1}] ${label(src)}`);
      button.type = "button";
      button.onclick = () => openSource(src);
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
  if (!question) return;
  if (!thread) thread = newThreadId();
  saveSettings();
  $("question").value = "";
  $("ask-button").disabled = true;
  const { turn, answer } = addTurn(question);
  answer.classList.add("streaming");
  try {
    const response = await fetch(`/api/conversations/${encodeURIComponent(thread)}/ask`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ question, k: Number($("k").value) || null,
                             search_type: $("search-type").value }),
    });
    if (!response.ok) throw new Error((await response.json()).error.message);
    await readEvents(response, (data) => {
      if (data.token !== undefined) answer.textContent += data.token;
      else if (data.result) showResult(turn, answer, data.result);
      else if (data.error) { answer.textContent = data.error; answer.classList.add("error"); }
    });
  } catch (error) {
    answer.textContent = String(error.message || error);
    answer.classList.add("error");
  } finally {
    answer.classList.remove("streaming");
    turn.classList.add("done");
    $("ask-button").disabled = false;
    loadConversations();
  }
}

// --- sources ------------------------------------------------------------------------------
async function openSource(src) {
  $("viewer").hidden = false;
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
  $("chunk-total").textContent = `(${files.length} files, ${chunks} chunks)`;
  const list = $("documents");
  list.replaceChildren();
  for (const file of files) {
    const item = el("li");
    item.title = file.source;
    const name = el("span", "name", file.name);
    const remove = el("button", "remove", "✕");
    remove.type = "button";
    remove.title = `remove ${file.name} from the index`;
    remove.onclick = async () => {
      if (!confirm(`Remove ${file.name} from the index? The file itself stays.`)) return;
      showReport(await api(`/api/documents?source=${encodeURIComponent(file.source)}`,
                           { method: "DELETE" }));
      refresh();
    };
    item.append(name, el("span", "chunks", `${file.chunks} chunks`), remove);
    list.append(item);
  }
}

function showReport(report) {
  const lines = [`added ${report.added}, updated ${report.updated}, skipped ${report.skipped}, ` +
                 `deleted ${report.deleted}, failed ${report.failed.length}`];
  for (const f of report.failed) lines.push(`failed: ${f.path}: ${f.error}`);
  for (const s of report.skipped_files) lines.push(`skipped: ${s.path}: ${s.error}`);
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
    box.textContent = `ingesting ${what}… ${Math.round((Date.now() - started) / 1000)} s${stored}`;
  };
  const timer = setInterval(show, 500);
  const poll = setInterval(async () => {
    const { chunks } = await api("/api/documents");
    if (running) stored = `, ${chunks} chunks in the index`;
  }, 2000);
  show();
  try {
    showReport(await request());
  } catch (error) {
    box.textContent = `failed: ${error.message || error}`;
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

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("ask-form").requestSubmit(); }
  });
  $("new-conversation").onclick = newConversation;
  $("upload-input").addEventListener("change", upload);
  $("path-form").addEventListener("submit", addPath);
  $("viewer-close").onclick = () => { $("viewer").hidden = true; };
  $("k").addEventListener("change", saveSettings);
  $("search-type").addEventListener("change", saveSettings);
  newConversation();
  refresh();
});
