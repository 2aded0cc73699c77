"""The only credentials the fakes accept. Sandbox-only values, published on purpose."""

GOOGLE_CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "sandbox-client-secret"
GOOGLE_REFRESH_TOKEN = "1//sandbox-refresh-token"
GOOGLE_ADS_DEVELOPER_TOKEN = "sandbox-developer-token"
HUBSPOT_ACCESS_TOKEN = "pat-na1-00000000-0000-4000-8000-sandbox00000"
