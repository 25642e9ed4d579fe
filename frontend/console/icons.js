// Small inline SVG icons for the control buttons (system fonts lack the media-control glyphs).

const NS = 'http://www.w3.org/2000/svg';
const PATHS = {
  play: 'M7 4.5v15l12-7.5z',
  next: 'M5 4.5v15l10-7.5zM16 4.5h3v15h-3z',
  stop: 'M6 6h12v12H6z',
  pause: 'M6.5 4.5h4v15h-4zM13.5 4.5h4v15h-4z',
  skip: 'M3 6l8.5 6L3 18zM12 6l8.5 6L12 18z',
  end: 'M12 2.5a9.5 9.5 0 1 0 0 19a9.5 9.5 0 1 0 0-19zm0 2.2a7.3 7.3 0 1 1 0 14.6a7.3 7.3 0 1 1 0-14.6zM8.8 8.8h6.4v6.4H8.8z',
  flag: 'M6 3h2v18H6zM9 4h10l-2.5 4L19 12H9z',
};

export function icon(name) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', PATHS[name] || '');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}
