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

  ready(function () {
    if (!focusFirstInvalid(document)) { openFromHash(); }
    window.addEventListener('hashchange', openFromHash);
  });

  window.mediationUi = {ready: ready, focusFirstInvalid: focusFirstInvalid};
})();
