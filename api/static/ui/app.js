/* The pages' behaviour (no inline scripts: the Content-Security-Policy allows only files from /static). */
(function () {
  'use strict';

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  /* After a refused form: open the <details> holding the first invalid field and move the focus there, so
     keyboard and screen-reader users land on what to fix (the message is read from the live region). */
  function focusFirstInvalid(root) {
    var el = (root || document).querySelector('[aria-invalid="true"]');
    if (!el) { return false; }
    for (var d = el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) { d.open = true; }
    el.focus({preventScroll: false});
    return true;
  }

  /* A link to "#act-<event>" (e.g. from the workbench's "去上报") opens that action's form. */
  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) { return; }
    var target = document.getElementById(id);
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      var first = target.querySelector('input:not([type=hidden]), select, textarea, button');
      target.scrollIntoView({block: 'start'});
      if (first) { first.focus({preventScroll: true}); }
    }
  }

  /* --- the calculator: show the fields of the chosen kind -------------------------------------------- */
  function showCalcKind(root) {
    var select = root.querySelector('[data-calc-kind]');
    if (!select) { return; }
    root.querySelectorAll('[data-for]').forEach(function (el) {
      el.hidden = el.dataset.for.split(' ').indexOf(select.value) < 0;
    });
  }

  /* After the calculator answers: mark the fields it names invalid (or valid again) and focus the first. */
  function markCalcErrors(output) {
    var root = output.closest('[data-calc]') || document;
    var bad = (output.querySelector('.calc-output') || output).dataset.invalid || '';
    var names = bad ? bad.split(' ') : [];
    root.querySelectorAll('[name^="calc_"]').forEach(function (el) {
      if (el.closest('.calc-fill')) { return; }
      if (names.indexOf(el.name) >= 0) { el.setAttribute('aria-invalid', 'true'); } else { el.removeAttribute('aria-invalid'); }
    });
    if (names.length) {
      var first = root.querySelector('[name="' + names[0] + '"]');
      if (first) { first.focus(); }
    }
  }

  /* --- the agreement's instalment rows ----------------------------------------------------------------- */
  function renumber(fieldset) {
    var rows = fieldset.querySelectorAll('[data-rows] > [data-row]');
    rows.forEach(function (row, i) {
      row.querySelectorAll('[data-n-label]').forEach(function (label) {
        label.textContent = label.dataset.nLabel.replace('{n}', i + 1);
      });
      row.querySelectorAll('[data-n-aria]').forEach(function (b) {
        b.setAttribute('aria-label', b.dataset.nAria.replace('{n}', i + 1));
      });
      row.querySelectorAll('[id]').forEach(function (el) {
        var old = el.id;
        var id = old.replace(/-(\d+|__)-([a-z_]+)$/, '-' + i + '-$2');
        if (id !== old) {
          el.id = id;
          var label = row.querySelector('label[for="' + old + '"]');
          if (label) { label.htmlFor = id; }
        }
      });
    });
    if (fieldset.hasAttribute('data-roster')) { headcount(fieldset); return; }
    var total = 0;
    fieldset.querySelectorAll('input[name=ob_amount]').forEach(function (el) {
      var v = parseFloat((el.value || '').replace(/[,，\s]/g, ''));
      if (!isNaN(v)) { total += v; }
    });
    var out = fieldset.querySelector('[data-total]');
    if (out) { out.textContent = '共' + rows.length + '项' + (total ? '，合计' + total.toLocaleString('zh-CN', {minimumFractionDigits: 2, maximumFractionDigits: 2}) + '元' : ''); }
  }

  function addRow(fieldset) {
    var tpl = fieldset.querySelector('template[data-row-template]');
    var holder = fieldset.querySelector('[data-rows]');
    var row = tpl.content.firstElementChild.cloneNode(true);
    holder.appendChild(row);
    renumber(fieldset);
    return row;
  }

  /* The intake roster: the head count is the applicant, the listed workers and the unlisted ones. */
  function headcount(fieldset) {
    var listed = 1;
    fieldset.querySelectorAll('[data-rows] > [data-row]').forEach(function (row) {
      var name = row.querySelector('input[name=extra_name]').value.trim();
      var id = row.querySelector('input[name=extra_id_number]').value.trim();
      if (name || id) { listed += 1; }
    });
    var unlisted = parseInt((fieldset.querySelector('input[name=workers_unlisted]') || {}).value, 10) || 0;
    var total = listed + Math.max(unlisted, 0);
    var out = fieldset.querySelector('[data-headcount]');
    if (out) {
      out.innerHTML = '';
      out.appendChild(document.createTextNode('涉及劳动者：'));
      var strong = document.createElement('strong');
      strong.setAttribute('data-total', '');
      strong.textContent = String(total);
      out.appendChild(strong);
      out.appendChild(document.createTextNode('人（名单' + listed + '人' + (unlisted ? '，名单以外' + unlisted + '人' : '') + '）'));
      if (total >= 10) {
        var badge = document.createElement('span');
        badge.className = 'badge red';
        badge.setAttribute('data-collective', '');
        badge.textContent = '集体争议';
        out.appendChild(document.createTextNode(' '));
        out.appendChild(badge);
      }
    }
    var form = fieldset.closest('form');
    if (form) { form.classList.toggle('is-collective', total >= 10); }
  }

  function emptyRow(row) {
    return !row.querySelector('input[name=ob_description]').value.trim() &&
      !row.querySelector('input[name=ob_amount]').value.trim();
  }

  function addMonths(iso, months) {
    var p = iso.split('-').map(Number);
    var y = p[0], m = p[1] - 1 + months, d = p[2];
    y += Math.floor(m / 12); m = ((m % 12) + 12) % 12;
    var last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    var day = Math.min(d, last);
    return y + '-' + String(m + 1).padStart(2, '0') + '-' + String(day).padStart(2, '0');
  }

  /* Split an amount into n instalments (equal, the cents left over in the last one) and fill the rows. */
  function fillRows(button) {
    var fill = button.closest('.calc-fill');
    var fieldset = button.closest('[data-obligations]');
    var status = fill.querySelector('.fill-status');
    var amountEl = fill.querySelector('[name=calc_fill_amount]');
    var countEl = fill.querySelector('[name=calc_fill_count]');
    var firstEl = fill.querySelector('[name=calc_fill_first]');
    var gapEl = fill.querySelector('[name=calc_fill_interval]');
    var cents = Math.round(parseFloat((amountEl.value || '').replace(/[,，\s元]/g, '')) * 100);
    var n = parseInt(countEl.value, 10);
    var gap = parseInt(gapEl.value, 10) || 1;
    [amountEl, countEl, firstEl].forEach(function (el) { el.removeAttribute('aria-invalid'); });
    var problem = null;
    if (!(cents > 0)) { problem = [amountEl, '填入金额应为大于0的数字']; }
    else if (!(n >= 1 && n <= 36)) { problem = [countEl, '期数应为1至36']; }
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(firstEl.value)) { problem = [firstEl, '请填写第一期履行期限']; }
    if (problem) {
      problem[0].setAttribute('aria-invalid', 'true');
      status.textContent = problem[1];
      status.classList.add('field-error');
      problem[0].focus();
      return;
    }
    status.classList.remove('field-error');
    var each = Math.floor(cents / n);
    var rows = Array.prototype.filter.call(fieldset.querySelectorAll('[data-rows] [data-row]'), emptyRow);
    var filled = [];
    for (var k = 0; k < n; k++) {
      var row = rows[k] || addRow(fieldset);
      var part = k === n - 1 ? cents - each * (n - 1) : each;
      var desc = fill.dataset.description + (n > 1 ? '（第' + (k + 1) + '期，共' + n + '期）' : '');
      row.querySelector('input[name=ob_description]').value = desc;
      row.querySelector('input[name=ob_amount]').value = (part / 100).toFixed(2);
      row.querySelector('input[name=ob_due_on]').value = addMonths(firstEl.value, k * gap);
      var type = row.querySelector('select[name=ob_claim_type]');
      if (type.querySelector('option[value="' + fill.dataset.claimType + '"]')) { type.value = fill.dataset.claimType; }
      filled.push(row);
    }
    renumber(fieldset);
    status.textContent = '已填入' + n + '项履行事项，合计' + (cents / 100).toFixed(2) + '元，请核对。';
    filled[0].querySelector('input[name=ob_description]').focus();
  }

  document.addEventListener('click', function (ev) {
    var pick = ev.target.closest('[data-pick-enterprise]');
    if (pick) { pickEnterprise(pick); return; }
    var t = ev.target.closest('button');
    if (!t) { return; }
    if (t.hasAttribute('data-unpick')) { unpickEnterprise(t); return; }
    var fieldset = t.closest('[data-obligations], [data-roster]');
    if (t.hasAttribute('data-add-row') && fieldset) {
      addRow(fieldset).querySelector('input').focus();
    } else if (t.hasAttribute('data-remove-row') && fieldset) {
      var rows = fieldset.querySelectorAll('[data-rows] > [data-row]');
      var row = t.closest('[data-row]');
      if (rows.length > 1) { row.remove(); } else { row.querySelectorAll('input').forEach(function (i) { i.value = ''; }); }
      renumber(fieldset);
      var add = fieldset.querySelector('[data-add-row]');
      if (add) { add.focus(); }
    } else if (t.hasAttribute('data-fill-rows')) {
      fillRows(t);
    }
  });
  document.addEventListener('change', function (ev) {
    if (ev.target.matches('[data-calc-kind]')) { showCalcKind(ev.target.closest('[data-calc]') || document); }
  });
  document.addEventListener('input', function (ev) {
    var fieldset = ev.target.name === 'ob_amount' && ev.target.closest('[data-obligations]');
    if (fieldset) { renumber(fieldset); }
    var roster = /^(extra_name|extra_id_number|workers_unlisted)$/.test(ev.target.name) && ev.target.closest('[data-roster]');
    if (roster) { headcount(roster); }
  });
  document.addEventListener('htmx:afterSwap', function (ev) {
    if (ev.target.querySelector('.calc-output')) { markCalcErrors(ev.target); }
    var roster = ev.target.closest('[data-roster]');
    if (roster) {
      // imported rows: drop the blank rows left before them, renumber, clear what was imported
      var rows = roster.querySelectorAll('[data-rows] > [data-row]');
      rows.forEach(function (row) { if (rows.length > 1 && !row.querySelector('input[name=extra_name]').value.trim() && !row.querySelector('input[name=extra_id_number]').value.trim()) { row.remove(); } });
      renumber(roster);
      var text = roster.querySelector('textarea[name=roster_text]');
      var status = document.getElementById('roster-status');
      if (status && !status.classList.contains('field-error')) {
        if (text) { text.value = ''; }
        var file = roster.querySelector('input[name=roster_file]');
        if (file) { file.value = ''; }
      }
    }
  });

  /* --- the employer picker ---------------------------------------------------------------------------- */
  function pickEnterprise(button) {
    var box = button.closest('[data-employer]');
    box.querySelector('input[name=enterprise_id]').value = button.dataset.pickEnterprise;
    box.querySelector('[data-chosen-name]').textContent = button.dataset.name;
    box.querySelector('#ent-chosen').hidden = false;
    box.querySelector('[data-picker]').hidden = true;
    box.querySelector('[data-new-enterprise]').hidden = true;
    box.querySelector('#ent-results').innerHTML = '';
    var search = box.querySelector('input[name=ent_q]');
    search.removeAttribute('aria-invalid');
    box.querySelector('[data-unpick]').focus();
  }

  function unpickEnterprise(button) {
    var box = button.closest('[data-employer]');
    box.querySelector('input[name=enterprise_id]').value = '';
    box.querySelector('#ent-chosen').hidden = true;
    box.querySelector('[data-picker]').hidden = false;
    box.querySelector('[data-new-enterprise]').hidden = false;
    box.querySelector('input[name=ent_q]').focus();
  }

  ready(function () {
    document.querySelectorAll('[data-calc]').forEach(showCalcKind);
    document.querySelectorAll('[data-obligations], [data-roster]').forEach(renumber);
    if (!focusFirstInvalid(document)) { openFromHash(); }
    window.addEventListener('hashchange', openFromHash);
  });

  window.mediationUi = {ready: ready, focusFirstInvalid: focusFirstInvalid};
})();
