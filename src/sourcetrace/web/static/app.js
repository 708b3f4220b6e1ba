// The page: send the article to POST /api/report, show the server-rendered report (the same HTML
// as `sourcetrace analyze --format html`) in a frame, and offer the analysis JSON as a download.
// Highlights are placed by the server: JavaScript indexes UTF-16 units, the offsets are code points.
"use strict";

const HTML_NAME = /\.(x?html?)$/i;
let chosenFile = null;
let downloadUrl = null;

const $ = (id) => document.getElementById(id);

function looksLikeHtml(text) {
  const head = text.slice(0, 2048).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") || (head.includes("<body") && head.includes("</"));
}

async function requestBody() {
  const body = {};
  if (chosenFile) {
    const content = await chosenFile.text();
    if (HTML_NAME.test(chosenFile.name) || looksLikeHtml(content)) body.html = content;
    else body.text = content;
  } else {
    body.text = $("text").value;
  }
  for (const field of ["published", "outlet", "title"]) {
    const value = $(field).value.trim();
    if (value) body[field] = value;
  }
  return body;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function summary(analysis) {
  const doc = analysis.document;
  const parts = [plural(analysis.quotes.length, "quote"), plural(analysis.sources.length, "source"),
                 plural(analysis.unattributed_claims.length, "unattributed claim")];
  return (doc.title ? `${doc.title}: ` : "") + parts.join(", ") + ".";
}

function offerDownload(analysis) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  const blob = new Blob([JSON.stringify(analysis, null, 2) + "\n"], {type: "application/json"});
  downloadUrl = URL.createObjectURL(blob);
  const link = $("download");
  link.href = downloadUrl;
  link.download = `sourcetrace-${analysis.document.id || "article"}.json`;
}

function fitFrame() {
  // The frame is same-origin (sandboxed, no scripts), so its height can follow its content.
  const frame = $("report");
  const doc = frame.contentDocument;
  if (doc && doc.documentElement) frame.style.height = `${doc.documentElement.scrollHeight + 20}px`;
}

function showResult(data) {
  $("summary").textContent = summary(data.analysis);
  offerDownload(data.analysis);
  $("result").hidden = false;
  const frame = $("report");
  frame.addEventListener("load", fitFrame, {once: true});
  frame.srcdoc = data.html;
}

async function analyse(event) {
  event.preventDefault();
  $("error").hidden = true;
  const button = $("analyse");
  button.disabled = true;
  $("status").textContent = "Analysing…";
  try {
    const body = await requestBody();
    if (!chosenFile && !body.text.trim()) {
      showError("Paste an article or choose a file first.");
      return;
    }
    const response = await fetch("/api/report", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({error: `the server answered ${response.status}`}));
    if (!response.ok) {
      showError(data.error || `the server answered ${response.status}`);
      return;
    }
    showResult(data);
  } catch (err) {
    showError(`Could not reach the server (${err.message}).`);
  } finally {
    button.disabled = false;
    $("status").textContent = "";
  }
}

function chooseFile() {
  chosenFile = $("file").files[0] || null;
  $("text").disabled = Boolean(chosenFile);
  $("clear-file").hidden = !chosenFile;
}

function clearFile() {
  $("file").value = "";
  chooseFile();
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", analyse);
  $("file").addEventListener("change", chooseFile);
  $("clear-file").addEventListener("click", clearFile);
});
