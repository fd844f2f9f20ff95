// Package deploy holds the tests of the deployment files at the top of the
// repository (docker-compose.yml, .env.example) and in this folder
// (Caddyfile): Docker need not run for them.
package deploy
