//! An archive's `index.html`: viser's page, told to play the archive's
//! scene file and to load the runtime from the archive, by relative URLs
//! so the archive plays under any path prefix of any host.

/// Puts the client in playback mode on `scene` (`?playbackPath=`, unless
/// the URL names another file), and says where the manifest is, before
/// viser's own module script reads the URL.
const BOOT: &str = r#"<script>
(function () {
  var q = new URLSearchParams(location.search);
  if (!q.has("playbackPath")) {
    q.set("playbackPath", "SCENE");
    history.replaceState(null, "", location.pathname + "?" + q.toString() + location.hash);
  }
  window.__VISER4D_ARCHIVE__ = new URL("MANIFEST", location.href).href;
})();
</script>
<script type="module">
try {
  const runtime = await import(new URL("./SCRIPT", location.href).href);
  await runtime.default({ module_or_path: new URL("./WASM", location.href).href });
} catch (error) {
  console.error("viser4d runtime not loaded:", error);
}
</script>
"#;

pub(super) fn index_html(client_page: &str, scene: &str, script: &str, wasm: &str) -> String {
    let boot = BOOT
        .replace("SCENE", scene)
        .replace("MANIFEST", viser4d_proto::archive::MANIFEST_FILE)
        .replace("SCRIPT", script)
        .replace("WASM", wasm);
    crate::bundle::inject_before_head_end(client_page, &boot)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_names_its_files_relative_to_itself() {
        let page = super::index_html(
            "<html><head></head></html>",
            "scene-1.viser",
            "viser4d/runtime-2.js",
            "viser4d/runtime-3.wasm",
        );
        assert!(page.contains(r#"q.set("playbackPath", "scene-1.viser")"#));
        assert!(page.contains(r#"new URL("./viser4d/runtime-2.js", location.href)"#));
        assert!(page.contains(r#"new URL("./viser4d/runtime-3.wasm", location.href)"#));
        assert!(page.contains(r#"new URL("archive.json", location.href)"#));
        assert!(page.ends_with("</script>\n</head></html>"));
    }
}
