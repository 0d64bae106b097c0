"""`make bench`: the production configuration under load (see docs/performance.md)."""
