"""The recorder's benchmark (issue 14): ingest, queries and bytes on disk of pigw's history stores
(SQLite, PostgreSQL) beside InfluxDB 1.x fed the same readings in the same run."""
