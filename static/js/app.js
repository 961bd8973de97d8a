// Progressive enhancement only: every page works without this file.
// On the release form, picking a type fills in the suggested next version for it
// unless the person already typed their own.
document.addEventListener("DOMContentLoaded", () => {
  const version = document.querySelector("input[data-suggestions]");
  const type = document.querySelector("select[data-version-type]");
  if (!version || !type) return;
  const suggestions = Object.fromEntries(
    version.dataset.suggestions.split(" ").map((pair) => pair.split("="))
  );
  const suggested = new Set(Object.values(suggestions));
  type.addEventListener("change", () => {
    if (!version.value || suggested.has(version.value)) {
      version.value = suggestions[type.value] || "";
    }
  });
});
