# Install pkictl and pkid on a host without dpkg, in the Debian package's layout under PREFIX:
#
#   make                       release build (scripts/build-release.sh) into .build-release/release
#   sudo make install          PREFIX=/usr/local by default; DESTDIR stages into another root
#   sudo make uninstall        refuses while pkid holds a static pod manifest
#
# BUILT names the directory holding pkictl and pkid to install (default: the release build's). The unit's
# ExecStart and config path are rewritten for PREFIX and SYSCONFDIR. install never overwrites an existing
# config file, and uninstall leaves it and pkid's database in place (remove them by hand if you mean to).

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/pkid
BUILT ?= .build-release/release
# Debug information is most of a Swift binary's size; the symbol table stays for backtraces. STRIP=true keeps it.
STRIP ?= objcopy --strip-debug
DESTDIR ?=

CONFIG = $(SYSCONFDIR)/pkid/pkid.yaml

.PHONY: all release install uninstall deb

all: release

release:
	scripts/build-release.sh

$(BUILT)/pkictl $(BUILT)/pkid:
	scripts/build-release.sh

deb: release
	scripts/build-deb.sh

install: $(BUILT)/pkictl $(BUILT)/pkid
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/pkid
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/pkid
	install -m 0755 $(BUILT)/pkictl $(BUILT)/pkid $(DESTDIR)$(BINDIR)/
	$(STRIP) $(DESTDIR)$(BINDIR)/pkictl
	$(STRIP) $(DESTDIR)$(BINDIR)/pkid
	sed -e 's|/usr/bin/pkid|$(BINDIR)/pkid|' -e 's|/etc/pkid/pkid.yaml|$(CONFIG)|' \
	    -e 's|/usr/share/doc/pkid/|$(DOCDIR)/|' contrib/pkid.service >$(DESTDIR)$(UNITDIR)/pkid.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pkid.service
	install -m 0644 README.md CHANGELOG.md LICENSE $(DESTDIR)$(DOCDIR)/
	if [ -d docs ]; then install -d -m 0755 $(DESTDIR)$(DOCDIR)/docs && install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/; fi
	if [ -e $(DESTDIR)$(CONFIG) ]; then echo "kept $(DESTDIR)$(CONFIG)"; \
	else install -m 0644 contrib/pkid.yaml $(DESTDIR)$(CONFIG); fi
	@echo "installed; pkid is not enabled: review $(CONFIG), then systemctl daemon-reload && systemctl enable --now pkid"

uninstall:
	. packaging/debian/held-manifests.sh && pkid_refuse_while_holding $(DESTDIR)$(CONFIG) "uninstall pkid"
	rm -f $(DESTDIR)$(BINDIR)/pkictl $(DESTDIR)$(BINDIR)/pkid $(DESTDIR)$(UNITDIR)/pkid.service
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/CHANGELOG.md $(DESTDIR)$(DOCDIR)/LICENSE
	rm -rf $(DESTDIR)$(DOCDIR)/docs
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@echo "kept $(DESTDIR)$(CONFIG) and $(DESTDIR)$(LOCALSTATEDIR)/lib/pkid (pkid's database); remove them by hand if you mean to"
