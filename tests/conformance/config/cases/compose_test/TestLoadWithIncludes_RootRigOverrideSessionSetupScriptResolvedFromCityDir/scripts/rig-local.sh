#!/bin/sh
echo city-override
