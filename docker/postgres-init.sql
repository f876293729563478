-- The cart service has a database of its own; svt_auth is created by POSTGRES_DB.
CREATE DATABASE svt_cart OWNER svt;
