# Read by the `flask` command (python-dotenv). Settings and secrets go in .env.
FLASK_APP=wsgi:app
MOONLY_ENV=development
