-- Keycloak's own database, next to Steward's in the one PostgreSQL of
-- docker-compose.yml. The postgres image runs this once, when its data
-- volume is empty (docker compose down -v starts over). Development only:
-- the password is published in docker-compose.yml.
CREATE ROLE keycloak LOGIN PASSWORD 'keycloak';
CREATE DATABASE keycloak OWNER keycloak;
