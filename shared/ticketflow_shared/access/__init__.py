"""Who is calling and what they may see: principals, tokens, API keys, rate limits, audit."""
