// xterm.js styles its rows and colours with <style> elements it writes at run time; the console's
// content security policy (style-src 'self', no 'unsafe-inline') rightly refuses those. Their
// text is applied as constructed stylesheets instead, which the policy leaves to the page's own
// scripts, so the policy stays as strict as it is.
export function adoptInlineStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();
  const sync = () => {
    const ours = new Set(sheets.values());
    for (const el of root.querySelectorAll('style')) {
      let sheet = sheets.get(el);
      if (!sheet) sheets.set(el, (sheet = new CSSStyleSheet()));
      sheet.replaceSync(el.textContent ?? '');
    }
    for (const el of [...sheets.keys()]) if (!el.isConnected) sheets.delete(el);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets.filter((s) => !ours.has(s)), ...sheets.values()];
  };
  // Only changes to style elements matter: the rows change on every keystroke.
  const isStyle = (n: Node | null) => n?.nodeName === 'STYLE';
  const observer = new MutationObserver((records) => {
    if (records.some((r) => isStyle(r.target) || isStyle(r.target.parentNode) || [...r.addedNodes, ...r.removedNodes].some(isStyle))) sync();
  });
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  sync();
  return () => {
    observer.disconnect();
    const ours = new Set(sheets.values());
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !ours.has(s));
  };
}
