"""Writing editions in the console: files, articles, images, revisions, approval."""
