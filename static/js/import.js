// The import page: follows GET /api/v1/imports/{id} until the job is done
// or failed, moving the progress bar, then shows the link to the new board
// and the warnings. Text goes in with textContent only.
(function () {
  'use strict';
  var root = document.querySelector('[data-import]');
  if (!root) return;
  var id = root.getAttribute('data-import');
  var bar = root.querySelector('[data-import-bar]');
  var state = root.querySelector('[data-import-state]');
  var error = root.querySelector('[data-import-error]');
  var open = root.querySelector('[data-import-open]');
  var warnBox = root.querySelector('[data-import-warnings-box]');
  var warnList = root.querySelector('[data-import-warnings]');

  function show(job) {
    root.setAttribute('data-import-status', job.status);
    var p = job.progress || { done: 0, total: 0 };
    bar.max = p.total > 0 ? p.total : 1;
    bar.value = p.done;
    if (job.status === 'done') {
      state.textContent = 'Done: ' + p.done + ' issues imported.';
      open.href = '/projects/' + encodeURIComponent(job.project_id);
      open.hidden = false;
    } else if (job.status === 'failed') {
      state.textContent = 'The import failed.';
      error.textContent = job.error || '';
      error.hidden = !job.error;
    } else {
      state.textContent = job.status + ': ' + p.done + ' of ' + p.total + ' issues…';
    }
    if (job.warnings && job.warnings.length) {
      warnList.replaceChildren();
      job.warnings.forEach(function (w) {
        var li = document.createElement('li');
        li.textContent = w;
        warnList.appendChild(li);
      });
      warnBox.hidden = false;
    }
  }

  function poll() {
    fetch('/api/v1/imports/' + encodeURIComponent(id), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
      .then(function (job) {
        show(job);
        if (job.status !== 'done' && job.status !== 'failed') setTimeout(poll, 300);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  var s = root.getAttribute('data-import-status');
  if (s !== 'done' && s !== 'failed') poll();
})();
