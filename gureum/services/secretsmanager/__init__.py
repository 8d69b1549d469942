"""Secrets Manager: secrets, their versions and staging labels, deletion with a recovery
window, resource policies, rotation through a Lambda function, random passwords."""
