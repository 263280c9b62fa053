// The console's only script: a click on a state shows its events, and a
// running execution's page reloads when its history grows.
(() => {
  const details = document.getElementById('state-details');
  const events = document.getElementById('state-events');
  if (details && events) {
    const show = (state) => {
      const section = [...events.querySelectorAll('section')].find((s) => s.dataset.state === state);
      details.replaceChildren(section ? section.cloneNode(true) : Object.assign(document.createElement('p'), { textContent: `${state} did not run.` }));
      document.querySelectorAll('g.state.selected').forEach((g) => g.classList.remove('selected'));
      document.querySelectorAll('g.state').forEach((g) => { if (g.dataset.state === state) g.classList.add('selected'); });
    };
    document.querySelectorAll('g.state').forEach((g) => {
      g.addEventListener('click', () => show(g.dataset.state));
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter') show(g.dataset.state); });
    });
  }
  const facts = document.getElementById('execution-facts');
  if (facts && facts.dataset.status === 'RUNNING') {
    let seen = null;
    const poll = async () => {
      try {
        const answer = await fetch(`/console/executions/${encodeURIComponent(facts.dataset.execution)}/state`, { credentials: 'same-origin' });
        const state = await answer.json();
        if (seen !== null && (state.events !== seen || state.status !== 'RUNNING')) {
          window.location.reload();
          return;
        }
        seen = state.events;
      } catch (_) { /* the server restarts: try again */ }
      setTimeout(poll, 1000);
    };
    poll();
  }
})();
