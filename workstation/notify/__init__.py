"""Alert delivery away from the desk: webhook (Standard Webhooks signing), Telegram and e-mail,
queued off the engine thread with retries, backoff and coalescing, every attempt logged."""
