/* Run by tests/test_browser_contrast.py in the page, once axe-core is loaded: every text below WCAG AA
 * contrast, as a list of {selector, text, fg, bg, ratio, expected, font, how}.
 *
 * - axe's violations of its `color-contrast` rule;
 * - what axe leaves « incomplete »: a ratio it measured on a short text is kept as measured; a text it
 *   could not measure (a background gradient or image, a pseudo-element, an overlapping cell) is
 *   measured here from the element's colour and its own and its ancestors' backgrounds — a background
 *   image or gradient fails, since nobody can say what the text is read on;
 * - the edge of every visible outline button, 3:1 against what is behind it (WCAG 1.4.11).
 * Disabled controls are exempt (WCAG 1.4.3). */
async () => {
  const rgba = value => {
    const n = value.match(/[\d.]+/g).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  };
  const over = (top, below) =>
    top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3])).concat([1]);
  const luminance = colour => {
    const [r, g, b] = colour.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return Math.round((light + 0.05) / (dark + 0.05) * 100) / 100;
  };
  const hex = colour =>
    '#' + colour.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  /* The colour painted behind an element, or null under a background image or gradient. */
  const backdrop = element => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== 'none') return null;
      const colour = rgba(style.backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] === 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const opacity = element => {
    let value = 1;
    for (let e = element; e; e = e.parentElement) value *= Number(getComputedStyle(e).opacity);
    return value;
  };
  const describe = element => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
    + [...element.classList].map(name => '.' + name).join('');
  const textOf = (element, html) =>
    ((element && element.innerText) || html || '').replace(/\s+/g, ' ').trim().slice(0, 80);
  const disabled = element => element.closest('.disabled, :disabled, [aria-disabled="true"]');
  const fromAxe = (node, element, data, how) => ({
    selector: node.target.join(' '), text: textOf(element, node.html), fg: data.fgColor, bg: data.bgColor,
    ratio: data.contrastRatio, expected: data.expectedContrastRatio,
    font: data.fontSize + ' ' + data.fontWeight, how,
  });

  const found = [];
  const results = await axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}});
  for (const node of results.violations.flatMap(rule => rule.nodes)) {
    const data = (node.any[0] || {}).data || {};
    found.push(fromAxe(node, document.querySelector(node.target[0]), data, 'axe'));
  }
  for (const node of results.incomplete.flatMap(rule => rule.nodes)) {
    const element = document.querySelector(node.target[0]);
    if (!element || disabled(element)) continue;
    const data = (node.any[0] || {}).data || {};
    const expected = parseFloat(data.expectedContrastRatio || '4.5');
    const entry = fromAxe(node, element, data, 'axe incomplete: ' + data.messageKey);
    if (data.contrastRatio) {
      if (data.contrastRatio < expected) found.push(entry);
      continue;
    }
    const bg = backdrop(element);
    const colour = rgba(getComputedStyle(element).color);
    colour[3] *= opacity(element);
    if (!bg) {
      found.push({...entry, fg: hex(colour), bg: 'a background image or gradient', ratio: '?'});
      continue;
    }
    const ratio = contrast(over(colour, bg), bg);
    if (ratio < expected) {
      found.push({...entry, fg: hex(over(colour, bg)), bg: hex(bg), ratio, how: entry.how + ', measured here'});
    }
  }
  for (const button of document.querySelectorAll('[class*="btn-outline-"]')) {
    if (!button.checkVisibility() || disabled(button)) continue;
    const bg = backdrop(button);
    const edge = rgba(getComputedStyle(button).borderTopColor);
    const ratio = bg ? contrast(over(edge, bg), bg) : '?';
    if (!bg || ratio < 3) {
      found.push({selector: describe(button), text: textOf(button), fg: 'edge ' + hex(edge),
                  bg: bg ? hex(bg) : 'a background image or gradient', ratio, expected: '3:1', font: '-',
                  how: 'button edge'});
    }
  }
  return found;
}
