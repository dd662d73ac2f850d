#!/bin/sh
echo fragment-override
