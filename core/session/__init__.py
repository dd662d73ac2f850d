"""An operator's recorded run: the driver, its history and step log, loop alarms, reload, export."""
