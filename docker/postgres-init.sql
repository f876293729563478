-- Runs once, when the postgres volume is first initialised (as POSTGRES_USER).
-- Each service has a database of its own.
CREATE DATABASE svt_auth OWNER svt;
CREATE DATABASE svt_cart OWNER svt;
