"""The pages: server-rendered templates, gettext catalogs (zh, en) and static files, all
shipped in the package, so a page fetches nothing from another host."""
