// Shows whether the service is up, from the health endpoint.
fetch('/api/v1/health')
  .then((response) => response.json())
  .then((health) => { document.getElementById('status').textContent = health.status; })
  .catch(() => { document.getElementById('status').textContent = 'unreachable'; });
