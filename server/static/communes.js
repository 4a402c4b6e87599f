// danvan: the commune table sorted and filtered in place (ADR 0015). The server does the same
// through query parameters (sort, dir, q, attention, status), so the page works without this
// script; with it, nothing is reloaded and the address keeps the state (a link or a reload
// shows the same table). Self-hosted, no library.
(function () {
  'use strict';
  var table = document.getElementById('communes-table');
  var form = document.getElementById('communes-filter');
  if (!table || !form || !table.tBodies.length) return;
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(tbody.rows);
  var q = document.getElementById('communes-q');
  var att = document.getElementById('communes-attention');
  var status = document.getElementById('communes-status');
  var sortInput = document.getElementById('communes-sort');
  var dirInput = document.getElementById('communes-dir');
  var shown = document.getElementById('communes-shown');
  var empty = document.getElementById('communes-empty');

  // The server's fold: lower case, Vietnamese marks dropped, đ read as d.
  function fold(s) {
    return s.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd');
  }

  function colIndex(key) {
    for (var i = 0; i < heads.length; i++) if (heads[i].getAttribute('data-sort') === key) return i;
    return 0;
  }

  function keep() {
    var p = new URLSearchParams(window.location.search);
    var set = function (k, v) { if (v) p.set(k, v); else p.delete(k); };
    set('sort', sortInput.value === 'name' ? '' : sortInput.value);
    set('dir', dirInput.value);
    set('q', q.value.trim());
    set('attention', att.checked ? '1' : '');
    set('status', status.value);
    window.history.replaceState(null, '', window.location.pathname + '?' + p.toString() + '#communes');
  }

  function filter() {
    var needle = fold(q.value.trim());
    var only = att.checked;
    var st = status.value;
    var n = 0;
    rows.forEach(function (r) {
      var name = r.cells[0].getAttribute('data-v') || '';
      var ok = (!needle || name.indexOf(needle) >= 0 || r.getAttribute('data-unit').indexOf(q.value.trim()) >= 0) &&
        (!only || r.getAttribute('data-attention') === '1') &&
        (!st || r.getAttribute('data-status') === st);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = shown.getAttribute('data-tpl').replace('{n}', String(n));
    empty.hidden = n > 0;
  }

  function sort(key, desc) {
    var i = colIndex(key);
    var num = key !== 'name';
    rows.sort(function (a, b) {
      var byName = a.cells[0].getAttribute('data-v').localeCompare(b.cells[0].getAttribute('data-v')) ||
        a.getAttribute('data-unit').localeCompare(b.getAttribute('data-unit'));
      if (!num) return desc ? -byName : byName;
      var x = a.cells[i].getAttribute('data-v');
      var y = b.cells[i].getAttribute('data-v');
      if (x === '' && y === '') return byName;
      if (x === '') return 1;
      if (y === '') return -1;
      var d = parseFloat(x) - parseFloat(y);
      return (desc ? -d : d) || byName;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    for (var h = 0; h < heads.length; h++) {
      heads[h].setAttribute('aria-sort', h === i ? (desc ? 'descending' : 'ascending') : 'none');
    }
    sortInput.value = key;
    dirInput.value = desc ? 'desc' : 'asc';
  }

  Array.prototype.forEach.call(heads, function (th) {
    var a = th.querySelector('a');
    if (!a) return;
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var key = th.getAttribute('data-sort');
      var cur = th.getAttribute('aria-sort');
      // Same column: reverse; another: figures largest first, names and status ascending.
      var desc = cur === 'none' ? !(key === 'name' || key === 'status') : cur === 'ascending';
      sort(key, desc);
      keep();
    });
  });
  // When the server already filtered the rows (the page came with q, attention or status), a
  // wider filter needs rows the page does not hold: changes go back to the server.
  var complete = rows.length === Number(shown.getAttribute('data-total'));
  if (!complete) {
    att.addEventListener('change', function () { form.submit(); });
    status.addEventListener('change', function () { form.submit(); });
    return;
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); filter(); keep(); });
  q.addEventListener('input', function () { filter(); keep(); });
  att.addEventListener('change', function () { filter(); keep(); });
  status.addEventListener('change', function () { filter(); keep(); });
})();
