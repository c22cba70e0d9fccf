/* Starts Swagger UI on /api/v1/docs (api/templates/swagger_ui.html). A static file, not an inline script: the
   Content-Security-Policy runs scripts from this origin only. */
window.addEventListener('load', function () {
  var given = JSON.parse(document.getElementById('swagger-ui-config').textContent);
  var config = {url: given.url, dom_id: '#swagger-ui-container'};
  Object.keys(given.config || {}).forEach(function (k) { config[k] = given.config[k]; });
  window.ui = SwaggerUIBundle(config);
});
