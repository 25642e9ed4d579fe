// The print button of the server's printable pages (results report, certificates, answer sheets: src/results/).
// Those pages allow no inline script, so the button's one line lives here.

for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}
