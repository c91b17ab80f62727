/* explore.js: the interactive parts of the `depot inspect --html` page, embedded in it by
 * the build. Reads the data written once into <script id="depot-data"> (the format of
 * `depot inspect --json`, docs/diagnostics.md) and draws the size map, the asset table, the
 * roots, the duplicates, the findings and the selected asset's neighbourhood. No network:
 * SVG is built as markup text, so no namespace URL is needed. Open the page with
 * #selfcheck to have it exercise itself and write the results into <pre id="selfcheck">. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('depot-data').textContent);
  var A = D.assets, N = A.length, MAX_ROWS = 1000, MAX_FILES = 200, MAX_COL = 30;
  var parents = A.map(function () { return []; });
  A.forEach(function (a, i) { a.kids.forEach(function (k) { parents[k].push(i); }); });

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }
  function fmt(n) {
    var u = ['B', 'KiB', 'MiB', 'GiB'], i = 0;
    while (n >= 1024 && i < 3) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  }
  function cls(a) {
    return 't-' + a.type.replace(/[^A-Za-z0-9_-]/g, '_') + (a.roots.length > 1 ? ' shared' : '') +
      (a.state === 'failed' ? ' failed' : '') + (a.cycle >= 0 ? ' cycle' : '');
  }
  function base(key) { return key.slice(key.lastIndexOf('/') + 1); }

  /* ---- size map: squarified treemap of the current folder (or of the types) ---- */
  var tm = { byType: false, type: null, path: '' }, tmItemsNow = [];
  function tmItems() {
    var items = [], folders = {}, types = {}, files = [];
    A.forEach(function (a, i) {
      var w = a.bytes || 1;
      if (tm.byType && tm.type === null) {
        var t = types[a.type] || (types[a.type] = { label: a.type, kind: 'type', type: a.type, bytes: 0, w: 0, n: 0 });
        t.bytes += a.bytes; t.w += w; t.n++;
        return;
      }
      if (tm.type !== null && a.type !== tm.type) return;
      if (tm.path && a.key.indexOf(tm.path + '/') !== 0) return;
      var rest = tm.path ? a.key.slice(tm.path.length + 1) : a.key, s = rest.indexOf('/');
      if (s > 0) {
        var name = rest.slice(0, s);
        var f = folders[name] || (folders[name] = { label: name + '/', kind: 'folder',
          path: (tm.path ? tm.path + '/' : '') + name, bytes: 0, w: 0, n: 0 });
        f.bytes += a.bytes; f.w += w; f.n++;
      } else {
        files.push({ label: rest, kind: 'file', asset: i, bytes: a.bytes, w: w, n: 1 });
      }
    });
    Object.keys(folders).forEach(function (k) { items.push(folders[k]); });
    Object.keys(types).forEach(function (k) { items.push(types[k]); });
    files.sort(function (x, y) { return y.w - x.w; });
    items = items.concat(files.slice(0, MAX_FILES));
    if (files.length > MAX_FILES) {
      var more = { label: (files.length - MAX_FILES) + ' smaller files', kind: 'more', bytes: 0, w: 0, n: 0 };
      files.slice(MAX_FILES).forEach(function (f) { more.bytes += f.bytes; more.w += f.w; more.n++; });
      items.push(more);
    }
    return items.sort(function (x, y) { return y.w - x.w; });
  }
  function squarify(items, x, y, w, h) {
    var total = 0, i = 0;
    items.forEach(function (it) { total += it.w; });
    items.forEach(function (it) { it.area = total ? it.w / total * w * h : 0; });
    while (i < items.length) {
      var side = Math.min(w, h), sum = 0, best = Infinity, j = i, lo = Infinity, hi = 0;
      for (; j < items.length; j++) {
        var a = items[j].area, s = sum + a, l = Math.min(lo, a), m = Math.max(hi, a);
        var worst = Math.max(side * side * m / (s * s), s * s / (side * side * (l || 1e-9)));
        if (j > i && worst > best) break;
        sum = s; best = worst; lo = l; hi = m;
      }
      var thick = side ? sum / side : 0, off = 0;
      for (var k = i; k < j; k++) {
        var it = items[k], len = thick ? it.area / thick : 0;
        if (w >= h) { it.x = x; it.y = y + off; it.rw = thick; it.rh = len; }
        else { it.x = x + off; it.y = y; it.rw = len; it.rh = thick; }
        off += len;
      }
      if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i = j;
    }
  }
  function drawTreemap() {
    var W = 1100, H = 420, items = tmItems(), out = [];
    squarify(items, 0, 0, W, H);
    tmItemsNow = items;
    items.forEach(function (it, i) {
      var extra = it.kind === 'file' ? ' ' + cls(A[it.asset]) : '';
      out.push('<g data-i="' + i + '"><rect class="tm ' + it.kind + extra + '" x="' + it.x.toFixed(1) +
        '" y="' + it.y.toFixed(1) + '" width="' + it.rw.toFixed(1) + '" height="' + it.rh.toFixed(1) +
        '"><title>' + esc(it.label) + ': ' + fmt(it.bytes) + ', ' + it.n + ' assets</title></rect>');
      if (it.rw > 70 && it.rh > 18) {
        out.push('<text x="' + (it.x + 4).toFixed(1) + '" y="' + (it.y + 14).toFixed(1) + '">' +
          esc(it.label.length > it.rw / 7 ? it.label.slice(0, Math.floor(it.rw / 7) - 1) + '\u2026' : it.label) + '</text>');
        if (it.rh > 34) out.push('<text class="sub" x="' + (it.x + 4).toFixed(1) + '" y="' + (it.y + 29).toFixed(1) + '">' + fmt(it.bytes) + '</text>');
      }
      out.push('</g>');
    });
    $('treemap-box').innerHTML = '<svg id="treemap" viewBox="0 0 ' + W + ' ' + H + '">' + out.join('') + '</svg>';
    var crumbs = ['<a href="#" data-path="">' + (tm.byType ? 'all types' : 'all folders') + '</a>'];
    if (tm.type !== null) crumbs.push('<a href="#" data-path="">' + esc(tm.type) + '</a>');
    var acc = '';
    tm.path.split('/').filter(Boolean).forEach(function (p) {
      acc += (acc ? '/' : '') + p;
      crumbs.push('<a href="#" data-path="' + esc(acc) + '">' + esc(p) + '</a>');
    });
    $('tm-crumbs').innerHTML = crumbs.join(' / ');
    $('tm-by-folder').className = tm.byType ? '' : 'on';
    $('tm-by-type').className = tm.byType ? 'on' : '';
  }
  $('treemap-box').addEventListener('click', function (e) {
    var g = e.target.closest('[data-i]');
    if (!g) return;
    var it = tmItemsNow[+g.getAttribute('data-i')];
    if (it.kind === 'folder') tm.path = it.path;
    else if (it.kind === 'type') tm.type = it.type;
    else if (it.kind === 'file') select(it.asset);
    drawTreemap();
  });
  $('tm-crumbs').addEventListener('click', function (e) {
    var a = e.target.closest('a');
    if (!a) return;
    e.preventDefault();
    tm.path = a.getAttribute('data-path');
    if (a === $('tm-crumbs').firstChild) tm.type = null;
    drawTreemap();
  });
  $('tm-by-folder').onclick = function () { tm = { byType: false, type: null, path: '' }; drawTreemap(); };
  $('tm-by-type').onclick = function () { tm = { byType: true, type: null, path: '' }; drawTreemap(); };

  /* ---- the asset table: sort by a column, filter by text ---- */
  var COLS = ['key', 'type', 'bytes', 'count', 'parents', 'roots', 'state', 'failure'];
  var tb = { sort: 'bytes', dir: -1, q: '' };
  function why(a) { return (a.failure || '') + (a.message ? ': ' + a.message : ''); }
  function cell(a, c) { return c === 'roots' ? a.roots.length : c === 'failure' ? why(a) : a[c]; }
  function drawTable() {
    var q = tb.q.toLowerCase(), idx = [];
    for (var i = 0; i < N; i++) {
      var a = A[i];
      if (!q || (a.key + ' ' + a.type + ' ' + a.state + ' ' + why(a)).toLowerCase().indexOf(q) >= 0) idx.push(i);
    }
    idx.sort(function (x, y) {
      var u = cell(A[x], tb.sort), v = cell(A[y], tb.sort);
      return (u < v ? -1 : u > v ? 1 : x - y) * tb.dir;
    });
    var rows = idx.slice(0, MAX_ROWS).map(function (i) {
      var a = A[i];
      return '<tr data-a="' + i + '" class="' + cls(a) + '"><td><code>' + esc(a.key) + '</code></td><td>' + esc(a.type) +
        '</td><td class="num">' + fmt(a.bytes) + '</td><td class="num">' + a.count + '</td><td class="num">' + a.parents +
        '</td><td class="num">' + a.roots.length + '</td><td>' + a.state + '</td><td class="bad">' + esc(why(a)) + '</td></tr>';
    });
    $('asset-rows').innerHTML = rows.join('');
    $('asset-count').textContent = idx.length + ' of ' + N + ' assets' + (idx.length > MAX_ROWS ? ' (first ' + MAX_ROWS + ' shown; filter to narrow)' : '');
    Array.prototype.forEach.call(document.querySelectorAll('#assets th'), function (th) {
      th.className = (th.getAttribute('data-col') === tb.sort ? (tb.dir > 0 ? 'asc' : 'desc') : '') +
        (/bytes|count|parents|roots/.test(th.getAttribute('data-col')) ? ' num' : '');
    });
  }
  $('assets').querySelector('thead').addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (!th) return;
    var c = th.getAttribute('data-col');
    tb.dir = tb.sort === c ? -tb.dir : (c === 'key' || c === 'type' || c === 'state' ? 1 : -1);
    tb.sort = c;
    drawTable();
  });
  $('filter').addEventListener('input', function () { tb.q = this.value; drawTable(); });
  $('asset-rows').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) select(+tr.getAttribute('data-a'));
  });

  /* ---- the selected asset's neighbourhood: parents left, children right ---- */
  var nb = { sel: -1, depth: 2 };
  function select(i) {
    nb.sel = i;
    drawNeighbourhood();
    if (!selfChecking) $('nb-section').scrollIntoView();
  }
  function drawNeighbourhood() {
    var c = nb.sel, d = nb.depth, level = {}, cols = {}, out = [], pos = {}, more = {};
    if (c < 0) return;
    level[c] = 0; cols[0] = [c];
    [-1, 1].forEach(function (dir) {
      var front = [c];
      for (var k = 1; k <= d; k++) {
        var next = [];
        front.forEach(function (v) {
          (dir > 0 ? A[v].kids : parents[v]).forEach(function (w) {
            if (!(w in level)) { level[w] = dir * k; next.push(w); }
          });
        });
        cols[dir * k] = next; front = next;
      }
    });
    var CW = 230, RH = 26, NW = 200, rows = 1;
    for (var l = -d; l <= d; l++) {
      more[l] = Math.max(0, cols[l].length - MAX_COL);
      cols[l] = cols[l].slice(0, MAX_COL);
      rows = Math.max(rows, cols[l].length + (more[l] ? 1 : 0));
      cols[l].forEach(function (v, r) { pos[v] = { x: (l + d) * CW + 10, y: r * RH + 30 }; });
    }
    Object.keys(pos).forEach(function (v) {
      A[v].kids.forEach(function (w) {
        if (!(w in pos)) return;
        var p = pos[v], q = pos[w], x1 = p.x + NW, y1 = p.y + 10, x2 = q.x, y2 = q.y + 10;
        out.push('<path class="nb-edge" d="M' + x1 + ',' + y1 + ' C' + (x1 + 20) + ',' + y1 + ' ' + (x2 - 20) + ',' + y2 + ' ' + x2 + ',' + y2 + '"/>');
      });
    });
    Object.keys(pos).forEach(function (v) {
      var a = A[v], p = pos[v], label = base(a.key);
      out.push('<g class="nb-node ' + cls(a) + (+v === c ? ' sel' : '') + '" data-a="' + v + '"><rect x="' + p.x + '" y="' + p.y +
        '" width="' + NW + '" height="20" rx="4"/><text x="' + (p.x + 6) + '" y="' + (p.y + 14) + '">' +
        esc(label.length > 26 ? label.slice(0, 25) + '\u2026' : label) + '</text><title>' + esc(a.key) + ' (' + esc(a.type) + ', ' + fmt(a.bytes) + ')</title></g>');
    });
    for (l = -d; l <= d; l++) {
      out.push('<text class="nb-head" x="' + ((l + d) * CW + 10) + '" y="16">' + (l < 0 ? 'parents ' + (-l) : l > 0 ? 'children ' + l : 'selected') + '</text>');
      if (more[l]) out.push('<text class="nb-more" x="' + ((l + d) * CW + 10) + '" y="' + (cols[l].length * RH + 44) + '">+ ' + more[l] + ' more</text>');
    }
    $('nb-box').innerHTML = '<svg id="neighbourhood" viewBox="0 0 ' + ((2 * d + 1) * CW) + ' ' + (rows * RH + 50) + '" width="' +
      ((2 * d + 1) * CW) + '">' + out.join('') + '</svg>';
    $('nb-title').innerHTML = '<code>' + esc(A[c].key) + '</code>: ' + esc(A[c].type) + ', ' + fmt(A[c].bytes) + ', ' + A[c].state +
      (A[c].failure ? ' (<span class="bad">' + esc(why(A[c])) + '</span>)' : '') + ', ' + parents[c].length + ' parents, ' + A[c].kids.length + ' children';
  }
  $('nb-box').addEventListener('click', function (e) {
    var g = e.target.closest('[data-a]');
    if (g) select(+g.getAttribute('data-a'));
  });
  $('nb-depth').addEventListener('change', function () { nb.depth = +this.value; drawNeighbourhood(); });

  /* ---- roots, duplicates, findings ---- */
  function keyList(ix) { return ix.map(function (i) { return '<code>' + esc(A[i].key) + '</code>'; }).join(', '); }
  $('roots-rows').innerHTML = D.roots.map(function (r) {
    return '<tr><td><code>' + esc(A[r.asset].key) + '</code></td><td class="num">' + r.assets + '</td><td class="num">' +
      fmt(r.bytes) + '</td><td class="num">' + fmt(r.unique_bytes) + '</td><td>' + r.shared_with.map(function (s) {
        return '<code>' + esc(A[D.roots[s.root].asset].key) + '</code> ' + fmt(s.bytes);
      }).join(', ') + '</td></tr>';
  }).join('');
  $('dup-rows').innerHTML = D.duplicates.slice(0, MAX_ROWS).map(function (g) {
    return '<tr><td class="num">' + fmt(g.waste) + '</td><td class="num">' + g.assets.length + ' \u00d7 ' + fmt(A[g.assets[0]].bytes) +
      '</td><td>' + keyList(g.assets) + '</td></tr>';
  }).join('') || '<tr><td colspan="3" class="ok">No two assets have the same content.</td></tr>';
  var failed = [];
  A.forEach(function (a, i) { if (a.state === 'failed') failed.push(i); });
  $('failed-rows').innerHTML = failed.map(function (i) {
    return '<tr><td><code>' + esc(A[i].key) + '</code></td><td class="bad">' + esc(why(A[i])) + '</td><td>' +
      (parents[i].length ? keyList(parents[i]) : '(a root)') + '</td></tr>';
  }).join('') || '<tr><td colspan="3" class="ok">Every asset loaded.</td></tr>';
  $('cycle-list').innerHTML = D.cycles.map(function (c) {
    return '<li>' + c.map(function (i) { return '<code>' + esc(A[i].key) + '</code>'; }).join(' \u2194 ') + '</li>';
  }).join('') || '<li class="ok">No dependency cycles.</li>';

  var selfChecking = false;
  drawTreemap();
  drawTable();
  if (D.roots.length) { nb.sel = D.roots[0].asset; drawNeighbourhood(); }
  document.body.setAttribute('data-render-ms', Math.round(performance.now()));

  /* ---- #selfcheck: the page exercises itself (for the headless browser test) ---- */
  function selfCheck() {
    var r = [], top = {}, click = function (el) { el.dispatchEvent(new MouseEvent('click', { bubbles: true })); };
    selfChecking = true;
    r.push('render_ms=' + document.body.getAttribute('data-render-ms'));
    /* One rectangle per group of the top level, and a click on one drills into it. */
    var mapCheck = function (kind, groups, drilled, now) {
      r.push(kind + 's_expected=' + Object.keys(groups).length);
      r.push(kind + 's_drawn=' + document.querySelectorAll('#treemap rect.' + kind).length);
      var el = document.querySelector('#treemap rect.' + kind);
      if (el) {
        click(el);
        r.push(drilled + '=' + now() + ' rects=' + document.querySelectorAll('#treemap rect').length);
      }
    };
    var types = {};
    A.forEach(function (a) { var s = a.key.indexOf('/'); if (s > 0) top[a.key.slice(0, s)] = 1; types[a.type] = 1; });
    mapCheck('folder', top, 'drilled_into', function () { return tm.path; });
    click($('tm-by-type'));
    mapCheck('type', types, 'drilled_type', function () { return tm.type; });
    click($('tm-by-folder'));
    click(document.querySelector('#assets th[data-col="key"]'));
    r.push('sorted_first=' + A[+$('asset-rows').firstChild.getAttribute('data-a')].key);
    var key = A[N - 1].key, box = $('filter');
    box.value = key;
    box.dispatchEvent(new Event('input'));
    var rows = document.querySelectorAll('#asset-rows tr');
    r.push('filter_rows=' + rows.length + ' key=' + key);
    var first = $('asset-rows').querySelector('tr');
    if (first) click(first.querySelector('td'));
    r.push('selected=' + (nb.sel >= 0 ? A[nb.sel].key : '') + ' nb_nodes=' + document.querySelectorAll('#neighbourhood .nb-node').length);
    var busiest = 0;
    for (var i = 0; i < N; i++) if (A[i].kids.length + parents[i].length > A[busiest].kids.length + parents[busiest].length) busiest = i;
    select(busiest);
    r.push('selected=' + A[busiest].key + ' nb_nodes=' + document.querySelectorAll('#neighbourhood .nb-node').length +
      ' nb_edges=' + document.querySelectorAll('#neighbourhood .nb-edge').length);
    r.push('resources=' + performance.getEntriesByType('resource').length);
    box.value = ''; box.dispatchEvent(new Event('input'));
    $('selfcheck').textContent = r.join('\n');
    selfChecking = false;
  }
  if (location.hash === '#selfcheck') selfCheck();
})();
