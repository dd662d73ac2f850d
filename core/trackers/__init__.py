"""Lifecycle trackers: idle timeout, max session age, assigned-work defer backstop, wake
failures and churn quarantine, the named-session circuit breaker."""
