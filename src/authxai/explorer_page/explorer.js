// authxai explorer: browse every explanation map of a run. Data come as <script> files
// (data/index.js, data/<image>.js) so that the page works from file:// without a server.
"use strict";

const authxaiExplorer = (() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    image: null, method: null, arch: null, regime: null, variant: null,
    view: "single", opacity: 0.6, cues: true, borders: true,
    sort: "mos", descending: false, role: "", kept: "",
  };
  let index = null;              // data/index.js
  const records = {};            // image id -> data/<image>.js
  const decoded = new Map();     // map entry -> Float32Array in [-1, 1]
  const pictures = new Map();    // data URL -> HTMLImageElement
  let renders = 0;

  // ---------------------------------------------------------------- state <-> URL fragment
  const KEYS = ["image", "method", "arch", "regime", "variant", "view", "opacity", "cues", "borders",
                "sort", "descending", "role", "kept"];
  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const key of KEYS) {
      if (!params.has(key)) continue;
      const value = params.get(key);
      if (typeof state[key] === "boolean") state[key] = value === "1";
      else if (key === "opacity") state[key] = Number(value);
      else state[key] = value;
    }
  }
  function writeHash() {
    const params = new URLSearchParams();
    for (const key of KEYS) {
      const value = state[key];
      if (value === null || value === "") continue;
      params.set(key, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
    }
    history.replaceState(null, "", "#" + params.toString());
  }

  // ---------------------------------------------------------------- data
  function loadImage(id) {
    if (records[id]) return Promise.resolve(records[id]);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "data/" + encodeURIComponent(id) + ".js";
      script.onload = () => (records[id] ? resolve(records[id]) : reject(new Error("no data in " + script.src)));
      script.onerror = () => reject(new Error("cannot load " + script.src));
      document.head.appendChild(script);
    });
  }
  async function values(entry) {
    if (decoded.has(entry)) return decoded.get(entry);
    const bytes = Uint8Array.from(atob(entry.q), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const codes = new Int8Array(await new Response(stream).arrayBuffer());
    const out = Float32Array.from(codes, (c) => c / 127);
    decoded.set(entry, out);
    return out;
  }
  function picture(url) {
    if (!pictures.has(url)) {
      pictures.set(url, new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = () => reject(new Error("bad image data"));
        img.src = url;
      }));
    }
    return pictures.get(url);
  }

  // ---------------------------------------------------------------- colours
  // Diverging blue-white-red (RdBu-like), centred on 0.
  const NEG = [33, 102, 172], MID = [247, 247, 247], POS = [178, 24, 43];
  function colour(t) {
    const end = t < 0 ? NEG : POS, a = Math.min(1, Math.abs(t));
    return MID.map((m, i) => Math.round(m + (end[i] - m) * a));
  }
  function drawColourbar() {
    const bar = $("colourbar"), ctx = bar.getContext("2d");
    for (let x = 0; x < bar.width; x++) {
      const [r, g, b] = colour((x / (bar.width - 1)) * 2 - 1);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, bar.height);
    }
  }

  // ---------------------------------------------------------------- selection
  function variantsOf(record, method, regime, arch) {
    const names = record.maps
      .filter((m) => m.method === method && m.regime === regime && m.arch === arch)
      .map((m) => m.variant);
    return [...new Set(names)].sort(byVariant);
  }
  function byVariant(a, b) {
    const seed = (v) => (v.startsWith("seed ") ? Number(v.slice(5)) : 1e9);
    return seed(a) - seed(b) || a.localeCompare(b);
  }
  function findMap(record, method, regime, arch, variant) {
    return record.maps.find((m) => m.method === method && m.regime === regime && m.arch === arch && m.variant === variant);
  }
  function fillSelect(select, options, current) {
    select.replaceChildren(...options.map((o) => new Option(o, o)));
    const value = options.includes(current) ? current : options[0] ?? null;
    select.value = value ?? "";
    return value;
  }
  function syncControls(record) {
    const methods = [...new Set(record.maps.map((m) => m.method))];
    state.method = fillSelect($("method"), methods, state.method);
    const regimes = [...new Set(record.maps.filter((m) => m.method === state.method).map((m) => m.regime))];
    state.regime = fillSelect($("regime"), regimes, state.regime);
    const archs = [...new Set(record.maps.filter((m) => m.method === state.method && m.regime === state.regime)
      .map((m) => m.arch))];
    state.arch = fillSelect($("arch"), archs, state.arch);
    state.variant = fillSelect($("variant"), variantsOf(record, state.method, state.regime, state.arch), state.variant);
    $("view").value = state.view;
    $("opacity").value = state.opacity;
    $("cues").checked = state.cues;
    $("borders").checked = state.borders;
  }

  // ---------------------------------------------------------------- drawing
  async function panel(record, entry, caption, size) {
    const figure = document.createElement("figure");
    if (!entry) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.style.width = empty.style.height = size + "px";
      empty.textContent = "no map";
      figure.append(empty);
    } else {
      // The architecture's preprocessing (ensembles combine architectures: the first view).
      const view = record.views[record.archs[entry.arch]] || Object.values(record.views)[0];
      const photo = await picture(view.photo);
      const canvas = document.createElement("canvas");
      const zoom = size / Math.max(photo.width, photo.height);
      canvas.width = Math.round(photo.width * zoom);
      canvas.height = Math.round(photo.height * zoom);
      canvas.dataset.map = [entry.method, entry.regime, entry.arch, entry.variant].join("|");
      const ctx = canvas.getContext("2d");
      ctx.drawImage(photo, 0, 0, canvas.width, canvas.height);
      const v = await values(entry);
      const layer = document.createElement("canvas");
      layer.width = entry.w;
      layer.height = entry.h;
      const pixels = layer.getContext("2d").createImageData(entry.w, entry.h);
      // Zero is transparent: the colour's opacity grows with |value| (square root, so that weak
      // attributions stay visible), on top of the slider's opacity.
      for (let i = 0; i < v.length; i++) {
        const [r, g, b] = colour(v[i]);
        pixels.data.set([r, g, b, Math.round(255 * Math.sqrt(Math.abs(v[i])))], 4 * i);
      }
      layer.getContext("2d").putImageData(pixels, 0, 0);
      ctx.globalAlpha = state.opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(layer, 0, 0, canvas.width, canvas.height);
      ctx.globalAlpha = 1;
      ctx.imageSmoothingEnabled = false;
      if (state.borders && entry.borders && record.borders[entry.borders]) {
        ctx.drawImage(await picture(record.borders[entry.borders]), 0, 0, canvas.width, canvas.height);
      }
      if (state.cues && view.cues) ctx.drawImage(await picture(view.cues), 0, 0, canvas.width, canvas.height);
      figure.append(canvas);
    }
    const cap = document.createElement("figcaption");
    cap.textContent = caption;
    figure.append(cap);
    return figure;
  }

  function describe(entry) {
    if (!entry) return "";
    const loc = records[state.image].localization.find((l) => l.method === entry.method && l.regime === entry.regime
      && l.arch === entry.arch && (l.kind === "variant" ? "seed " + l.seed : l.kind) === entry.variant);
    return loc && loc.auroc !== null ? ` · cue AUROC ${loc.auroc.toFixed(2)}` : "";
  }

  async function render() {
    const record = records[state.image];
    if (!record) return;
    syncControls(record);
    const panels = $("panels");
    const figures = [];
    panels.className = state.view === "single" ? "" : "grid";
    if (state.view === "single") {
      const entry = findMap(record, state.method, state.regime, state.arch, state.variant);
      figures.push(await panel(record, entry, `${state.method} · ${state.arch} · ${state.regime} · ${state.variant}${describe(entry)}`, 420));
      panels.style.gridTemplateColumns = "";
    } else if (state.view === "seeds") {
      const names = variantsOf(record, state.method, state.regime, state.arch);
      for (const name of names) {
        const entry = findMap(record, state.method, state.regime, state.arch, name);
        figures.push(await panel(record, entry, `${name}${describe(entry)}`, 150));
      }
      panels.style.gridTemplateColumns = `repeat(${Math.min(5, names.length)}, max-content)`;
    } else {
      const methods = [...new Set(record.maps.map((m) => m.method))];
      const archs = [...new Set(record.maps.filter((m) => m.regime === state.regime).map((m) => m.arch))];
      for (const arch of archs) {
        for (const method of methods) {
          // The chosen variant where the cell has it, else the cell's first (an ensemble's
          // bagging map, an architecture's prototype).
          const entry = findMap(record, method, state.regime, arch, state.variant)
            || findMap(record, method, state.regime, arch, variantsOf(record, method, state.regime, arch)[0]);
          figures.push(await panel(record, entry, `${arch} · ${method}${entry ? " · " + entry.variant : ""}`, 170));
        }
      }
      panels.style.gridTemplateColumns = `repeat(${methods.length}, max-content)`;
    }
    panels.replaceChildren(...figures);
    renderNumbers(record);
    writeHash();
    renders += 1;
    document.body.dataset.renders = String(renders);
  }

  function table(rows, columns) {
    if (!rows.length) return Object.assign(document.createElement("p"), { textContent: "none for this image" });
    const t = document.createElement("table");
    const head = t.createTHead().insertRow();
    for (const c of columns) head.append(Object.assign(document.createElement("th"), { textContent: c }));
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const c of columns) {
        const v = row[c];
        tr.insertCell().textContent = typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(3)) : (v ?? "—");
      }
    }
    return t;
  }
  function renderNumbers(record) {
    const box = $("numbers");
    const h = (text) => Object.assign(document.createElement("h3"), { textContent: text });
    const parts = [h(`${record.id} · MOS ${record.mos === null ? "—" : record.mos.toFixed(1)} · ${record.role}${record.kept ? "" : " · removed"}`)];
    const preds = record.predictions.filter((p) => p.regime === state.regime && p.arch === state.arch);
    parts.push(h(`Predictions (${state.arch}, ${state.regime})`), table(preds, ["seed", "y", "y_hat"]));
    parts.push(h("Within-architecture consistency"),
      table(record.within.filter((w) => w.method === state.method), ["arch", "pearson", "iou15"]));
    parts.push(h("Across-architecture consistency"),
      table(record.across.filter((a) => a.method === state.method), ["arch_a", "arch_b", "prototypes", "pearson", "iou15"]));
    const loc = record.localization.filter((l) => l.method === state.method && l.regime === state.regime && l.arch === state.arch);
    const named = loc.map((l) => ({ ...l, variant: l.kind === "variant" ? "seed " + l.seed : l.kind }));
    if (loc.length) parts.push(h("Localization of the planted cues"), table(named, ["variant", "auroc", "energy", "pointing"]));
    box.replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- image list
  function renderList() {
    const list = $("image-list");
    let images = index.images.filter((im) => (!state.role || im.role === state.role)
      && (!state.kept || (state.kept === "kept") === im.kept));
    const key = state.sort, sign = state.descending ? -1 : 1;
    images = images.slice().sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return sign * (x - y) || a.id.localeCompare(b.id);
    });
    list.replaceChildren(...images.map((im) => {
      const li = document.createElement("li");
      li.dataset.image = im.id;
      const v = im[key];
      li.append(im.id, Object.assign(document.createElement("small"), {
        textContent: `${im.role} · ${key} ${v === null || v === undefined ? "—" : v.toFixed(2)}`,
      }));
      if (im.id === state.image) li.className = "selected";
      li.onclick = () => choose(im.id);
      return li;
    }));
  }

  async function choose(id) {
    const start = performance.now();
    state.image = id;
    renderList();
    try {
      await loadImage(id);
      $("message").textContent = "";
      await render();
      // How long choosing an image took (its data file loaded and parsed, maps drawn).
      document.body.dataset.loadMs = (performance.now() - start).toFixed(0);
    } catch (err) {
      $("message").textContent = String(err);
      console.error(err);
    }
  }

  function bind() {
    for (const id of ["method", "arch", "regime", "variant", "view", "sort", "role", "kept"]) {
      $(id).onchange = () => {
        state[id] = $(id).value;
        if (["sort", "role", "kept"].includes(id)) { renderList(); writeHash(); } else render();
      };
    }
    $("opacity").oninput = () => { state.opacity = Number($("opacity").value); render(); };
    for (const id of ["cues", "borders", "descending"]) {
      $(id).onchange = () => {
        state[id] = $(id).checked;
        if (id === "descending") { renderList(); writeHash(); } else render();
      };
    }
  }

  return {
    state,
    index(data) {
      index = data;
      readHash();
      const roles = [...new Set(data.images.map((im) => im.role))];
      $("role").append(...roles.map((r) => new Option(r, r)));
      $("sort").value = state.sort;
      $("descending").checked = state.descending;
      $("role").value = state.role;
      $("kept").value = state.kept;
      $("study").textContent = `${data.images.length} images · ${data.methods.join(", ")} · ${data.archs.join(", ")}`;
      drawColourbar();
      bind();
      renderList();
      const shown = $("image-list").firstElementChild;
      const first = data.images.find((im) => im.id === state.image) || (shown && { id: shown.dataset.image });
      if (first) choose(first.id);
    },
    loaded(record) { records[record.id] = record; },
  };
})();
