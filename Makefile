# The two commands a newcomer needs (see README.md):
#   make test   set up .venv, PostgreSQL, Redis and the search server, run the whole suite
#   make demo   the same set-up, then a seeded demo portal on http://127.0.0.1:5000
# CKAN_VERSION=2.11.x make test   runs the suite on the latest CKAN 2.11 instead of 2.12.
.PHONY: test demo
test:
	@bash scripts/devstack.sh test
demo:
	@bash scripts/devstack.sh demo
